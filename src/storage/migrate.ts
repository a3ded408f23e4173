import { Migrator, type MigrationResult, sql } from 'kysely'
import type { Storage } from './db.js'
import { MIGRATIONS } from './migrations/index.js'
import { ensureWatchedWrites } from './watched-writes.js'

export interface MigrationReport {
  applied: string[]
  alreadyApplied: number
}

/**
 * Brings the schema up to date. Safe to run any number of times and from several processes at once
 * (Kysely takes a lock table on both engines).
 */
export async function migrateToLatest(storage: Storage): Promise<MigrationReport> {
  const { db } = storage
  // On PostgreSQL, name the schema in use: Kysely's table lookup otherwise sees same-named tables
  // in other schemas of the database and skips creating its own.
  const schema =
    storage.dialect === 'postgres'
      ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]
          ?.schema
      : undefined
  const migrator = new Migrator({
    db,
    ...(schema === undefined ? {} : { migrationTableSchema: schema }),
    provider: { getMigrations: () => Promise.resolve(MIGRATIONS) },
    migrationTableName: 'candor_migrations',
    migrationLockTableName: 'candor_migrations_lock',
  })
  const { error, results } = await migrator.migrateToLatest()
  if (error !== undefined) {
    const failed = results?.find((r: MigrationResult) => r.status === 'Error')
    throw new Error(`migration ${failed?.migrationName ?? '(unknown)'} failed`, { cause: error })
  }
  // What other processes' copies watch for (see `ChangeFeed`); only SQLite keeps copies.
  if (storage.dialect === 'sqlite') await ensureWatchedWrites(db)
  const applied = (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName)
  return { applied, alreadyApplied: Object.keys(MIGRATIONS).length - applied.length }
}
