import { type Migration, sql } from 'kysely'
import { type Db, dialectOf } from '../db.js'
import type { MigrationDb } from './index.js'

/**
 * `events.expiry_bucket`: the month an event expires in (`2027-01`) when that is at most 14 months
 * after the month it was received, else `9999` (kept longer: see `src/modules/events/events.rows.ts`,
 * which fills it). On PostgreSQL the events table is partitioned on it instead of on `expires_at`
 * (0021): a month partition still holds only events that expire in that month and goes as a whole once
 * the month has ended, but events kept for years share one partition, `events_long`, deleted row by row
 * as before. With every month of expiry a partition, a charter that keeps events six years made about
 * 75 partitions, and every read by owner (a shopper's history, ingest's duplicate check) visited all of
 * them (docs/scale.md has the figures); now about 16.
 *
 * The key becomes `(owner, event_id, expiry_bucket)`, still led by the owner. Existing rows move with
 * their bucket computed here the way the code computes it. SQLite only gains the column (its table is
 * not partitioned; rows written before stay without a bucket).
 */
export const migration0022EventsExpiryBucket: Migration = {
  async up(db: MigrationDb) {
    if (dialectOf(db as Db) !== 'postgres') {
      await sql`alter table events add column expiry_bucket varchar(7)`.execute(db)
      return
    }
    await sql`alter table events rename to events_by_expiry`.execute(db)
    await sql`alter table events_by_expiry rename constraint events_pk to events_by_expiry_pk`.execute(
      db,
    )
    for (const index of ['events_expires_hour', 'events_happened_hour', 'events_recomm'])
      await sql`drop index ${sql.id(index)}`.execute(db)
    await renamePartitions(db, 'events_by_expiry', 'events_by_expiry_')

    await sql`create table events (
      owner varchar(80) not null,
      event_id varchar(128) not null,
      type varchar(16) not null,
      item varchar(64),
      quantity integer,
      price double precision,
      currency varchar(3),
      search_query varchar(200),
      placement varchar(64),
      recomm_id varchar(128),
      kind varchar(32),
      rating integer,
      occurred_at varchar(32),
      received_at varchar(32) not null,
      purposes varchar(400) not null,
      expires_at varchar(32) not null,
      expiry_bucket varchar(7) not null,
      constraint events_pk primary key (owner, event_id, expiry_bucket)
    ) partition by range (expiry_bucket)`.execute(db)
    await sql`create index events_expires_hour on events (substr(expires_at, 1, 13))`.execute(db)
    await sql`create index events_happened_hour
      on events (substr(coalesce(occurred_at, received_at), 1, 13))`.execute(db)
    await sql`create index events_recomm on events (recomm_id) where recomm_id is not null`.execute(
      db,
    )
    await sql`create table events_default partition of events default`.execute(db)
    await sql`create table events_long partition of events for values from ('9999') to (maxvalue)`.execute(
      db,
    )

    const bucket = sql`case
      when (cast(substr(expires_at, 1, 4) as integer) * 12 + cast(substr(expires_at, 6, 2) as integer))
         - (cast(substr(received_at, 1, 4) as integer) * 12 + cast(substr(received_at, 6, 2) as integer))
         <= 14
      then substr(expires_at, 1, 7) else '9999' end`
    const { rows } = await sql<{ month: string }>`
      select distinct ${bucket} as month from events_by_expiry`.execute(db)
    const months = new Set(rows.map((r) => r.month).filter((m) => /^\d{4}-\d{2}$/.test(m)))
    const now = new Date()
    for (let k = 0; k < 4; k++) {
      const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + k, 1))
      months.add(d.toISOString().slice(0, 7))
    }
    for (const month of months) {
      const [year, m] = month.split('-').map(Number) as [number, number]
      const next = new Date(Date.UTC(year, m, 1)).toISOString().slice(0, 7)
      await sql`create table ${sql.table(`events_p${month.replace('-', '_')}`)} partition of events
        for values from (${sql.lit(month)}) to (${sql.lit(next)})`.execute(db)
    }
    await sql`insert into events select
        owner, event_id, type, item, quantity, price, currency, search_query, placement, recomm_id,
        kind, rating, occurred_at, received_at, purposes, expires_at, ${bucket}
      from events_by_expiry`.execute(db)
    await sql`drop table events_by_expiry cascade`.execute(db)
  },
  async down(db: MigrationDb) {
    if (dialectOf(db as Db) !== 'postgres') {
      await sql`alter table events drop column expiry_bucket`.execute(db)
      return
    }
    // Back to 0021's shape: partitioned by expires_at, one partition per month the rows expire in.
    await sql`alter table events rename to events_by_bucket`.execute(db)
    await sql`alter table events_by_bucket rename constraint events_pk to events_by_bucket_pk`.execute(
      db,
    )
    for (const index of ['events_expires_hour', 'events_happened_hour', 'events_recomm'])
      await sql`drop index ${sql.id(index)}`.execute(db)
    await renamePartitions(db, 'events_by_bucket', 'events_by_bucket_')
    await sql`create table events (like events_by_bucket including defaults)
      partition by range (expires_at)`.execute(db)
    await sql`alter table events drop column expiry_bucket`.execute(db)
    await sql`alter table events add constraint events_pk primary key (owner, event_id, expires_at)`.execute(
      db,
    )
    await sql`create index events_expires_hour on events (substr(expires_at, 1, 13))`.execute(db)
    await sql`create index events_happened_hour
      on events (substr(coalesce(occurred_at, received_at), 1, 13))`.execute(db)
    await sql`create index events_recomm on events (recomm_id) where recomm_id is not null`.execute(
      db,
    )
    await sql`create table events_default partition of events default`.execute(db)
    const { rows } = await sql<{ month: string }>`
      select distinct substr(expires_at, 1, 7) as month from events_by_bucket`.execute(db)
    for (const { month } of rows) {
      const [year, m] = month.split('-').map(Number) as [number, number]
      const next = new Date(Date.UTC(year, m, 1)).toISOString().slice(0, 7)
      await sql`create table ${sql.table(`events_p${month.replace('-', '_')}`)} partition of events
        for values from (${sql.lit(month)}) to (${sql.lit(next)})`.execute(db)
    }
    await sql`insert into events select
        owner, event_id, type, item, quantity, price, currency, search_query, placement, recomm_id,
        kind, rating, occurred_at, received_at, purposes, expires_at
      from events_by_bucket on conflict do nothing`.execute(db)
    await sql`drop table events_by_bucket cascade`.execute(db)
  },
}

/** Renames every partition of `parent` (`events_p2027_01` -> `<prefix>p2027_01`), freeing the names. */
async function renamePartitions(db: MigrationDb, parent: string, prefix: string): Promise<void> {
  const { rows } = await sql<{ name: string }>`
    select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
    where i.inhparent = to_regclass(${parent}::text)`.execute(db)
  for (const { name } of rows)
    await sql`alter table ${sql.table(name)} rename to ${sql.table(prefix + name.replace(/^events_/, ''))}`.execute(
      db,
    )
}
