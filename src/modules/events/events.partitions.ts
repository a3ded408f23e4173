/**
 * PostgreSQL only: the events table is partitioned by the month of its expiry (migrations 0021 and
 * 0022: on `expiry_bucket`, see `expiryBucket` in `events.rows.ts`), so retention drops a month whose
 * every event has expired instead of deleting its rows one by one, and the month being written stays
 * small. A partition `events_p2027_01` holds the events that expire in January 2027; `events_long`
 * those kept longer than `BUCKET_MONTHS` (deleted row by row); `events_default` anything else, so an
 * insert never fails for want of a partition. SQLite keeps a plain table: nothing here runs on it.
 *
 * Dropping a partition and rows moved out of the default partition are the only statements here; the
 * drop is part of the events repository's `deleteExpired` (a write that announces every owner), the
 * moves change no row.
 */
import { sql } from 'kysely'
import type { Db } from '../../storage/db.js'

/** The partition that takes every expiry no month partition covers. */
export const DEFAULT_PARTITION = 'events_default'

const MONTH_PARTITION = /^events_p(\d{4})_(\d{2})$/

/** The month (`2027-01`) of an ISO time. */
export function monthOf(iso: string): string {
  return iso.slice(0, 7)
}

/** The month after `month` (`2027-12` -> `2028-01`). */
export function nextMonth(month: string): string {
  const year = Number(month.slice(0, 4))
  const m = Number(month.slice(5, 7))
  return m === 12 ? `${year + 1}-01` : `${year}-${String(m + 1).padStart(2, '0')}`
}

/** The month `k` months after `month` (`2027-12`, 2 -> `2028-02`). */
export function monthPlus(month: string, k: number): string {
  const index = Number(month.slice(0, 4)) * 12 + Number(month.slice(5, 7)) - 1 + k
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`
}

/** The months from `from` to `to`, both included. */
export function monthsFrom(from: string, to: string): string[] {
  const out: string[] = []
  for (let month = from; month <= to; month = nextMonth(month)) out.push(month)
  return out
}

/** The name of a month's partition (`2027-01` -> `events_p2027_01`). */
export function partitionName(month: string): string {
  return `events_p${month.replace('-', '_')}`
}

/** The month partitions attached to `events`, by month, in order. */
export async function listMonthPartitions(db: Db): Promise<{ month: string; name: string }[]> {
  const { rows } = await sql<{ name: string }>`
    select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
    where i.inhparent = to_regclass('events')`.execute(db)
  const out: { month: string; name: string }[] = []
  for (const { name } of rows) {
    const m = MONTH_PARTITION.exec(name)
    if (m !== null) out.push({ month: `${m[1]}-${m[2]}`, name })
  }
  return out.sort((a, b) => (a.month < b.month ? -1 : 1))
}

/**
 * Makes sure every month in `months` has its partition. A missing one is created empty, the events of
 * its month that the default partition caught are moved into it, and it is attached; processes doing
 * this at once take turns (the lock `attach` needs anyway). Returns the months created.
 */
export async function ensureMonthPartitions(db: Db, months: readonly string[]): Promise<string[]> {
  const have = new Set((await listMonthPartitions(db)).map((p) => p.month))
  if (months.every((m) => have.has(m))) return []
  if (!db.isTransaction)
    return db.transaction().execute((trx) => ensureMonthPartitions(trx, months))
  await sql`lock table events in share update exclusive mode`.execute(db)
  const present = new Set((await listMonthPartitions(db)).map((p) => p.month))
  const created: string[] = []
  for (const month of months) {
    if (present.has(month)) continue
    const name = sql.table(partitionName(month))
    const [from, to] = [month, nextMonth(month)]
    await sql`create table ${name} (like events including defaults including constraints)`.execute(
      db,
    )
    await sql`with moved as (
        delete from ${sql.table(DEFAULT_PARTITION)}
        where expiry_bucket >= ${from} and expiry_bucket < ${to} returning *)
      insert into ${name} select * from moved`.execute(db)
    await sql`alter table events attach partition ${name}
      for values from (${sql.lit(from)}) to (${sql.lit(to)})`.execute(db)
    created.push(month)
  }
  return created
}

/**
 * Drops every month partition whose month ended by `now`: each of its events expired before its
 * month's end, so all have expired. Returns how many events went with them. Dropping takes the events
 * table's exclusive lock until the caller's transaction ends (once a month, at a retention run).
 */
export async function dropExpiredMonths(db: Db, now: string): Promise<number> {
  let events = 0
  for (const { month, name } of await listMonthPartitions(db)) {
    if (nextMonth(month) > monthOf(now)) break
    const { rows } = await sql<{ n: number }>`
      select count(*) as n from ${sql.table(name)}`.execute(db)
    events += Number(rows[0]?.n ?? 0)
    await sql`drop table ${sql.table(name)}`.execute(db)
  }
  return events
}
