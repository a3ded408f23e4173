import { type Kysely, sql } from 'kysely'
import type { ChangeFeed } from '../../storage/changes.js'
import type { Db } from '../../storage/db.js'
import { ownerWrites } from '../../storage/owner-writes.js'
import type { ConsentRecord, PersonalizationLevel, PromptShown } from './consent.js'

type ConsentTables = {
  consent_records: {
    id: string
    subject_id: string
    purpose: string
    decision: string
    method: string
    notice_version: string
    jurisdiction: string
    recorded_at: string
  }
  subject_settings: {
    subject_id: string
    level: string
    jurisdiction: string | null
    restricted: number
    updated_at: string
  }
  consent_prompts_shown: { subject_id: string; purpose: string; shown_at: string }
}

export interface StoredConsentRecord extends ConsentRecord {
  id: string
}

/** A subject's (or session's) settings and consent records, as read together. */
export interface Ledger {
  settings: SubjectSettings | undefined
  records: readonly StoredConsentRecord[]
}

export interface SubjectSettings {
  level: PersonalizationLevel
  jurisdiction: string | null
  restricted: boolean
  updatedAt: string
}

function toRecord(r: ConsentTables['consent_records']): StoredConsentRecord {
  return {
    id: r.id,
    purpose: r.purpose,
    decision: r.decision as ConsentRecord['decision'],
    method: r.method as ConsentRecord['method'],
    noticeVersion: r.notice_version,
    jurisdiction: r.jurisdiction,
    recordedAt: new Date(r.recorded_at),
  }
}

function toSettings(row: ConsentTables['subject_settings']): SubjectSettings {
  return {
    level: row.level as PersonalizationLevel,
    jurisdiction: row.jurisdiction,
    restricted: row.restricted === 1,
    updatedAt: row.updated_at,
  }
}

/**
 * Every write is made with `write` (`owner-writes.ts`), naming the subject (or session) it touched: a
 * read started before then is not kept, one started after sees the write.
 */
export function createConsentRepository(changes: ChangeFeed) {
  const t = (db: Db) => db.withTables<ConsentTables>()
  const write = ownerWrites(changes)
  const reads = createReads(t)
  return {
    ...reads,
    /**
     * A subject's (or session's) settings and whole ledger, read together in one statement (every
     * personal answer and event batch asks it): the settings row (if any) joined to each record, or one
     * row of settings alone when there are no records.
     */
    async findLedger(db: Db, subjectId: string): Promise<Ledger> {
      const rows = await t(db)
        .selectFrom(sql<{ subject_id: string }>`(select ${subjectId} as subject_id)`.as('k'))
        .leftJoin('subject_settings as s', 's.subject_id', 'k.subject_id')
        .leftJoin('consent_records as r', 'r.subject_id', 'k.subject_id')
        .select([
          's.level as s_level',
          's.jurisdiction as s_jurisdiction',
          's.restricted as s_restricted',
          's.updated_at as s_updated_at',
          'r.id',
          'r.subject_id',
          'r.purpose',
          'r.decision',
          'r.method',
          'r.notice_version',
          'r.jurisdiction',
          'r.recorded_at',
        ])
        .orderBy('r.id')
        .execute()
      const first = rows[0]
      const settings =
        first?.s_level == null
          ? undefined
          : toSettings({
              subject_id: subjectId,
              level: first.s_level,
              jurisdiction: first.s_jurisdiction ?? null,
              restricted: Number(first.s_restricted),
              updated_at: first.s_updated_at!,
            })
      const records = rows.flatMap((r) =>
        r.id == null ? [] : [toRecord(r as ConsentTables['consent_records'])],
      )
      return { settings, records }
    },
    /** `findLedger` for many subjects in two queries; every one asked is answered (maybe empty). */
    async findLedgers(db: Db, subjectIds: readonly string[]): Promise<Map<string, Ledger>> {
      const settings = await reads.findSettingsMany(db, subjectIds)
      const records = await reads.listRecordsMany(db, subjectIds)
      return new Map(
        subjectIds.map((id) => [
          id,
          { settings: settings.get(id), records: records.get(id) ?? [] },
        ]),
      )
    },
    insertRecord: write(
      async (db: Db, subjectId: string, record: StoredConsentRecord): Promise<void> => {
        await t(db)
          .insertInto('consent_records')
          .values({
            id: record.id,
            subject_id: subjectId,
            purpose: record.purpose,
            decision: record.decision,
            method: record.method,
            notice_version: record.noticeVersion,
            jurisdiction: record.jurisdiction,
            recorded_at: record.recordedAt.toISOString(),
          })
          .execute()
      },
      (_, subjectId) => [subjectId],
    ),
    upsertSettings: write(
      async (db: Db, subjectId: string, settings: SubjectSettings): Promise<void> => {
        const values = {
          subject_id: subjectId,
          level: settings.level,
          jurisdiction: settings.jurisdiction,
          restricted: settings.restricted ? 1 : 0,
          updated_at: settings.updatedAt,
        }
        await t(db)
          .insertInto('subject_settings')
          .values(values)
          .onConflict((oc) => oc.column('subject_id').doUpdateSet(values))
          .execute()
      },
      (_, subjectId) => [subjectId],
    ),
    markPromptShown: write(
      async (db: Db, subjectId: string, purpose: string, at: string): Promise<void> => {
        await t(db)
          .insertInto('consent_prompts_shown')
          .values({ subject_id: subjectId, purpose, shown_at: at })
          .onConflict((oc) => oc.columns(['subject_id', 'purpose']).doUpdateSet({ shown_at: at }))
          .execute()
      },
      (_, subjectId) => [subjectId],
    ),
    deleteSubject: write(
      async (db: Db, subjectId: string): Promise<number> => {
        const records = await t(db)
          .deleteFrom('consent_records')
          .where('subject_id', '=', subjectId)
          .executeTakeFirst()
        await t(db).deleteFrom('subject_settings').where('subject_id', '=', subjectId).execute()
        await t(db)
          .deleteFrom('consent_prompts_shown')
          .where('subject_id', '=', subjectId)
          .execute()
        return Number(records.numDeletedRows)
      },
      (_, subjectId) => [subjectId],
    ),
  }
}

/** The reads, over the module's tables. */
function createReads(t: (db: Db) => Kysely<ConsentTables>) {
  return {
    /** A subject's whole ledger in append order. */
    async listRecords(db: Db, subjectId: string): Promise<StoredConsentRecord[]> {
      const rows = await t(db)
        .selectFrom('consent_records')
        .selectAll()
        .where('subject_id', '=', subjectId)
        .orderBy('id')
        .execute()
      return rows.map(toRecord)
    },
    /** Several subjects' ledgers in one query, each in append order. */
    async listRecordsMany(
      db: Db,
      subjectIds: readonly string[],
    ): Promise<Map<string, StoredConsentRecord[]>> {
      const out = new Map<string, StoredConsentRecord[]>()
      if (subjectIds.length === 0) return out
      const rows = await t(db)
        .selectFrom('consent_records')
        .selectAll()
        .where('subject_id', 'in', subjectIds)
        .orderBy('id')
        .execute()
      for (const r of rows) {
        const list = out.get(r.subject_id) ?? []
        list.push(toRecord(r))
        out.set(r.subject_id, list)
      }
      return out
    },
    async findSettingsMany(
      db: Db,
      subjectIds: readonly string[],
    ): Promise<Map<string, SubjectSettings>> {
      if (subjectIds.length === 0) return new Map()
      const rows = await t(db)
        .selectFrom('subject_settings')
        .selectAll()
        .where('subject_id', 'in', subjectIds)
        .execute()
      return new Map(rows.map((row) => [row.subject_id, toSettings(row)]))
    },
    async findSettings(db: Db, subjectId: string): Promise<SubjectSettings | undefined> {
      const row = await t(db)
        .selectFrom('subject_settings')
        .selectAll()
        .where('subject_id', '=', subjectId)
        .executeTakeFirst()
      return row === undefined ? undefined : toSettings(row)
    },
    /**
     * Subjects with at least one `granted` record for the purpose, a page at a time in id order (after
     * `after`): the candidates a caller then decides on with each one's whole ledger.
     */
    async listSubjectsEverGranted(
      db: Db,
      purpose: string,
      after: string,
      limit: number,
    ): Promise<string[]> {
      const rows = await t(db)
        .selectFrom('consent_records')
        .select('subject_id')
        .distinct()
        .where('purpose', '=', purpose)
        .where('decision', '=', 'granted')
        .where('subject_id', '>', after)
        .orderBy('subject_id')
        .limit(limit)
        .execute()
      return rows.map((r) => r.subject_id)
    },
    async listPromptsShown(db: Db, subjectId: string): Promise<readonly PromptShown[]> {
      const rows = await t(db)
        .selectFrom('consent_prompts_shown')
        .select(['purpose', 'shown_at'])
        .where('subject_id', '=', subjectId)
        .execute()
      return rows.map((r) => ({ purpose: r.purpose, shownAt: new Date(r.shown_at) }))
    },
  }
}

/** One group of ledger records: a day, a purpose, a decision and the subject's decision before it. */
export interface DailyConsentCount {
  day: string
  purpose: string
  decision: string
  previous: string | null
  n: number
}

/**
 * Ledger records between two instants (`to` excluded), counted by UTC day, purpose, decision and the
 * same subject's previous decision for that purpose (which tells a withdrawal from a refusal). Every
 * subject and session counts; no subject id leaves the query.
 */
export async function countConsentsByDay(
  db: Db,
  from: string,
  to: string,
): Promise<DailyConsentCount[]> {
  const t = db.withTables<Pick<ConsentTables, 'consent_records'>>()
  const records = t
    .selectFrom('consent_records as r')
    .select((eb) => [
      sql<string>`substr(r.recorded_at, 1, 10)`.as('day'),
      'r.purpose',
      'r.decision',
      eb
        .selectFrom('consent_records as p')
        .select('p.decision')
        .whereRef('p.subject_id', '=', 'r.subject_id')
        .whereRef('p.purpose', '=', 'r.purpose')
        .whereRef('p.id', '<', 'r.id')
        .orderBy('p.id', 'desc')
        .limit(1)
        .as('previous'),
    ])
    .where('r.recorded_at', '>=', from)
    .where('r.recorded_at', '<', to)
  const rows = await t
    .selectFrom(records.as('x'))
    .select((eb) => ['x.day', 'x.purpose', 'x.decision', 'x.previous', eb.fn.countAll().as('n')])
    .groupBy(['x.day', 'x.purpose', 'x.decision', 'x.previous'])
    .orderBy('x.day')
    .execute()
  return rows.map((r) => ({
    day: r.day,
    purpose: r.purpose,
    decision: r.decision,
    previous: r.previous ?? null,
    n: Number(r.n),
  }))
}

export type ConsentRepository = ReturnType<typeof createConsentRepository>
