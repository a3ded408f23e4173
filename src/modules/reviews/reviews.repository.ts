/**
 * The reviews' reads, and the one place they break the rule that a module reads only its own tables:
 * an audit must see what is actually stored, not what a module's service chooses to say, so these
 * reads go straight to `events`, `recommend_answers`, `subject_settings`, `rights_requests`,
 * `api_keys`, `audit_log` and (when issue 19's part is installed) `insights_*`. Read-only, in pages,
 * and nothing read here leaves the reviews as anything but counts and ids of items, purposes, keys and
 * vendors.
 */
import { sql } from 'kysely'
import type { Db } from '../../storage/db.js'

/** A stored event as the audits need it (owner is a subject id or a session key). */
export interface EventRow {
  owner: string
  event_id: string
  type: string
  item: string | null
  occurred_at: string | null
  received_at: string
  purposes: string
  expires_at: string
  recomm_id: string | null
}

const PAGE = 5000

/** Every stored event, page by page in key order (so a large store never sits in memory at once). */
export async function* eachEvent(db: Db): AsyncGenerator<EventRow[]> {
  let after: { owner: string; eventId: string } | undefined
  for (;;) {
    const { rows } = await (
      after === undefined
        ? sql<EventRow>`select owner, event_id, type, item, occurred_at, received_at, purposes,
          expires_at, recomm_id from events order by owner, event_id limit ${PAGE}`
        : sql<EventRow>`select owner, event_id, type, item, occurred_at, received_at, purposes,
          expires_at, recomm_id from events
          where owner > ${after.owner} or (owner = ${after.owner} and event_id > ${after.eventId})
          order by owner, event_id limit ${PAGE}`
    ).execute(db)
    if (rows.length === 0) return
    yield rows
    // better-sqlite3's answers settle at once: let the server answer requests between pages.
    await new Promise((resolve) => setImmediate(resolve))
    const last = rows.at(-1)!
    after = { owner: last.owner, eventId: last.event_id }
    if (rows.length < PAGE) return
  }
}

/** The purposes an event was stored for (the column holds `,a,b,`). */
export function purposesOf(row: Pick<EventRow, 'purposes'>): string[] {
  return row.purposes.split(',').filter((p) => p !== '')
}

export interface AnswerRow {
  recomm_id: string
  level: string
  placement: string
  items: string
  created_at: string
  /** The coarse segment (`recommend/answer-segment.ts`); null on answers logged before it was kept. */
  jurisdiction: string | null
  tenure: string | null
  history: string | null
}

/** Answers of the log read at most (the newest), so a busy shop's month stays within memory. */
export const MAX_ANSWERS = 200_000

/** The answer log since `since`, newest first, at most `MAX_ANSWERS` (no owner: the log holds none). */
export async function answersSince(db: Db, since: string): Promise<AnswerRow[]> {
  const { rows } = await sql<AnswerRow>`select recomm_id, level, placement, items, created_at,
    jurisdiction, tenure, history
    from recommend_answers where created_at >= ${since}
    order by created_at desc limit ${MAX_ANSWERS}`.execute(db)
  return rows
}

export interface SettingsRow {
  subject_id: string
  level: string
  jurisdiction: string | null
}

export async function subjectSettings(db: Db): Promise<SettingsRow[]> {
  const { rows } = await sql<SettingsRow>`select subject_id, level, jurisdiction
    from subject_settings`.execute(db)
  return rows
}

/** Subject ids that have any consent record (the subjects a coverage share is counted over). */
export async function subjectsWithRecords(db: Db): Promise<string[]> {
  const { rows } = await sql<{ subject_id: string }>`select distinct subject_id
    from consent_records`.execute(db)
  return rows.map((r) => r.subject_id)
}

export interface RequestRow {
  id: string
  status: string
  received_at: string
  due_at: string
  completed_at: string | null
}

export async function rightsRequests(db: Db): Promise<RequestRow[]> {
  const { rows } = await sql<RequestRow>`select id, status, received_at, due_at, completed_at
    from rights_requests`.execute(db)
  return rows
}

export interface KeyRow {
  id: string
  role: string
  vendor: string | null
  created_at: string
  revoked_at: string | null
  last_used_at: string | null
}

/** Active API keys with their last use (column added by the key-use tracking, see auth). */
export async function activeKeys(db: Db): Promise<KeyRow[]> {
  const { rows } = await sql<KeyRow>`select id, role, vendor, created_at, revoked_at, last_used_at
    from api_keys where revoked_at is null`.execute(db)
  return rows
}

/** Audit-log entries with an action in `actions` since `since`. */
export async function countAuditActions(
  db: Db,
  actions: readonly string[],
  since: string,
): Promise<number> {
  if (actions.length === 0) return 0
  const { rows } = await sql<{ n: number | string }>`select count(*) as n from audit_log
    where at >= ${since} and action in (${sql.join(actions)})`.execute(db)
  return Number(rows[0]?.n ?? 0)
}

/** Rho spent per insights key, all time (issue 19), or null when that part is not installed here. */
export async function insightsSpends(
  db: Db,
): Promise<{ key: string; usedRho: number; spends: number }[] | null> {
  try {
    const { rows } = await sql<{ key_id: string; used: number | string; n: number | string }>`
      select key_id, sum(rho) as used, count(*) as n from insights_spends group by key_id`.execute(
      db,
    )
    return rows.map((r) => ({ key: r.key_id, usedRho: Number(r.used), spends: Number(r.n) }))
  } catch {
    return null
  }
}

/** Subjects with a vault entry (their values are read through the identity service, decrypted). */
export async function vaultSubjects(db: Db): Promise<string[]> {
  const { rows } = await sql<{ subject_id: string }>`select subject_id from vault_entries`.execute(
    db,
  )
  return rows.map((r) => r.subject_id)
}

/** Every table's name (PostgreSQL: of the current schema), for the plaintext scan. */
export async function tableNames(db: Db, dialect: 'sqlite' | 'postgres'): Promise<string[]> {
  const { rows } = await (
    dialect === 'sqlite'
      ? sql<{ name: string }>`select name from sqlite_master where type = 'table'`
      : // Partitioned tables once, as a whole (their partitions are not listed again).
        sql<{ name: string }>`select c.relname as name from pg_class c
        join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = current_schema() and c.relkind in ('r', 'p') and not c.relispartition`
  ).execute(db)
  return rows.map((r) => r.name)
}

/**
 * Which of `values` occur in any row of `table`, as PostgreSQL writes the row as text (PostgreSQL
 * plaintext scan): one pass over the table in the database, nothing but the matching values back.
 */
export async function valuesInTable(
  db: Db,
  table: string,
  values: readonly string[],
): Promise<string[]> {
  if (values.length === 0) return []
  const { rows } = await sql<{ value: string }>`select distinct v.value as value
    from ${sql.table(table)} as t cross join unnest(${[...values]}::text[]) as v(value)
    where strpos(t::text, v.value) > 0`.execute(db)
  return rows.map((r) => r.value)
}
