import type { Db } from './db.js'

/**
 * Tables of staff-written definitions with a schedule (offers, migration 0027; surveys, 0038): the
 * definition is JSON in `body`, beside the columns reads filter on. One implementation of their SQL,
 * so the two cannot drift apart; each module keeps its own table and its own types.
 */
export interface DefinitionRow {
  id: string
  purpose: string
  active_from: string | null
  active_until: string | null
  body: string
  created_at: string
  updated_at: string
}

/** What a definition carries for these columns; the rest is stored as it is. */
export interface ScheduledDefinition {
  id: string
  purpose: string
  schedule: { from?: string | undefined; until?: string | undefined }
  createdAt: string
  updatedAt: string
}

/** The SQL of one such table: upsert by id (the creation time of a replaced one is kept), reads. */
export function scheduledDefinitions<T extends ScheduledDefinition>(table: string) {
  // Every table passed here has the `DefinitionRow` columns; Kysely is told one fixed name for them.
  const name = table as 'definitions'
  const t = (db: Db) => db.withTables<{ definitions: DefinitionRow }>()
  const fromRow = (row: DefinitionRow): T =>
    ({
      ...(JSON.parse(row.body) as Omit<T, 'createdAt' | 'updatedAt'>),
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    }) as T

  return {
    async upsert(db: Db, definition: T): Promise<T> {
      const { createdAt, updatedAt, ...body } = definition
      const row = await t(db)
        .insertInto(name)
        .values({
          id: definition.id,
          purpose: definition.purpose,
          active_from: definition.schedule.from ?? null,
          active_until: definition.schedule.until ?? null,
          body: JSON.stringify(body),
          created_at: createdAt,
          updated_at: updatedAt,
        })
        .onConflict((oc) =>
          oc.column('id').doUpdateSet((eb) => ({
            purpose: eb.ref('excluded.purpose'),
            active_from: eb.ref('excluded.active_from'),
            active_until: eb.ref('excluded.active_until'),
            body: eb.ref('excluded.body'),
            updated_at: eb.ref('excluded.updated_at'),
          })),
        )
        .returningAll()
        .executeTakeFirstOrThrow()
      return fromRow(row)
    },

    /** Every definition, by id. */
    async list(db: Db): Promise<T[]> {
      const rows = await t(db).selectFrom(name).selectAll().orderBy('id').execute()
      return rows.map(fromRow)
    },

    async find(db: Db, id: string): Promise<T | undefined> {
      const row = await t(db).selectFrom(name).selectAll().where('id', '=', id).executeTakeFirst()
      return row === undefined ? undefined : fromRow(row)
    },

    /** Definitions whose schedule includes `now` (activity and placement are the caller's). */
    async listScheduled(db: Db, now: string): Promise<T[]> {
      const rows = await t(db)
        .selectFrom(name)
        .selectAll()
        .where((eb) =>
          eb.and([
            eb.or([eb('active_from', 'is', null), eb('active_from', '<=', now)]),
            eb.or([eb('active_until', 'is', null), eb('active_until', '>', now)]),
          ]),
        )
        .orderBy('id')
        .execute()
      return rows.map(fromRow)
    },
  }
}
