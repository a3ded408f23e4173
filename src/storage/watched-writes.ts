import { sql } from 'kysely'
import type { Db } from './db.js'

/**
 * On SQLite, the count of writes to the tables any in-memory copy is made from (see `ChangeFeed`):
 * triggers add one to it with every row inserted, updated or deleted in a watched table, in the writing
 * transaction, so a process that sees `PRAGMA data_version` move can tell another process's write that
 * matters from one that cannot (the answer log every worker writes once a second).
 */
export const WATCHED_WRITES_TABLE = 'candor_watched_writes'

/**
 * The tables no copy is made from, so writing them leaves every copy standing. Every other table is
 * watched, including ones added later: `ensureWatchedWrites` runs after every migration.
 */
export const UNWATCHED_TABLES: readonly string[] = [
  // The answer log and its day counts: written by every serving process, read only for quality figures.
  'recommend_answers',
  'recommend_answer_days',
  // Per-offer totals: added to with every offer answer and click, read only for the console's figures.
  'offer_totals',
  // Touchpoint counters: added to with every personal answer; the caps remember only what counting
  // never undoes (a used-up window), so another process's count leaves every copy standing.
  'touchpoint_counts',
  // The job table: every process claims and renews leases on it every second or two; no copy reads it.
  'jobs',
  // The stored model and its training lease: each process polls for a newer version and swaps it in
  // (a kept ranking names the model it came from, see recommend/answer.ts); no copy is made of them.
  'recommend_models',
  'recommend_model_chunks',
  'recommend_model_locks',
  // The clean room (insights/cleanroom.*.ts): read from the database every time, no copy is made.
  'cleanroom_uploads',
  'cleanroom_partner_values',
  'cleanroom_pending',
  'cleanroom_matches',
  // The privacy budget ledger (insights/insights.budget.ts): read under its lock every time, never copied.
  'insights_budgets',
  'insights_spends',
  // Audit reports and DPIA sign-offs (reviews module): read from the database every time, never copied.
  'review_reports',
  'review_dpia_signoffs',
  // Voice entries and alerts (voice module): read from the database every time, never copied.
  'voice_entries',
  'voice_alerts',
  // Assistant transcripts (assistant module): read from the database every time, never copied.
  'assistant_turns',
  // Surveys and when each was last shown to a shopper (voice module): read every time, never copied.
  'surveys',
  'survey_impressions',
  // The federated sketch totals (federated module): added to by each batch, read when training.
  'federated_sketch',
  // Experiment enrolments (experiments module): read from the database every time, never copied. The
  // experiments themselves are watched: the running ones are copied (experiments/experiments.cache.ts).
  'experiment_enrolments',
  // The answers a variant shaped: one row with every such answer; read from the database every time.
  'experiment_exposures',
  // Vendor outbox, delivery log and deletion requests (vendors module): the delivery job writes them
  // every few seconds; read from the database every time, never copied.
  'vendor_outbox',
  'vendor_deliveries',
  'vendor_deletions',
  // Migration bookkeeping (each process takes the lock table at start).
  'candor_migrations',
  'candor_migrations_lock',
  WATCHED_WRITES_TABLE,
]

const OPERATIONS = ['insert', 'update', 'delete'] as const

/**
 * Creates the counter and the triggers of every watched table that lacks them (SQLite; a migration
 * that rebuilds a table drops its triggers, and new tables need theirs), and drops those of a table
 * now unwatched. Idempotent.
 */
export async function ensureWatchedWrites(db: Db): Promise<void> {
  await sql`create table if not exists ${sql.table(WATCHED_WRITES_TABLE)} (
    id integer primary key check (id = 1),
    writes integer not null
  )`.execute(db)
  await sql`insert or ignore into ${sql.table(WATCHED_WRITES_TABLE)} (id, writes) values (1, 0)`.execute(
    db,
  )
  const { rows } = await sql<{ name: string }>`
    select name from sqlite_master where type = 'table' and name not like 'sqlite_%'`.execute(db)
  const { rows: triggers } = await sql<{ name: string }>`
    select name from sqlite_master where type = 'trigger'`.execute(db)
  const existing = new Set(triggers.map((t) => t.name))
  for (const { name } of rows) {
    if (UNWATCHED_TABLES.includes(name)) {
      // A table listed after its triggers were made (an older database) loses them.
      for (const operation of OPERATIONS)
        if (existing.has(watchedTrigger(name, operation)))
          await sql`drop trigger ${sql.id(watchedTrigger(name, operation))}`.execute(db)
      continue
    }
    for (const operation of OPERATIONS) {
      const trigger = watchedTrigger(name, operation)
      if (existing.has(trigger)) continue
      await sql`create trigger if not exists ${sql.id(trigger)} after ${sql.raw(operation)} on ${sql.table(name)}
        begin update ${sql.table(WATCHED_WRITES_TABLE)} set writes = writes + 1 where id = 1; end`.execute(
        db,
      )
    }
  }
}

/** The trigger that counts `operation` on `table`. */
export function watchedTrigger(table: string, operation: (typeof OPERATIONS)[number]): string {
  return `${WATCHED_WRITES_TABLE}_${table}_${operation}`
}
