import { type Migration, sql } from 'kysely'
import { type Db, dialectOf } from '../db.js'
import type { MigrationDb } from './index.js'

/**
 * PostgreSQL only: `events` becomes a table partitioned by the month of its expiry (declarative range
 * partitioning on `expires_at`), so retention drops a month whose events have all expired as a whole
 * (`src/modules/events/events.partitions.ts`). A partition's name is `events_pYYYY_MM` and it holds the
 * expiries from `'YYYY-MM'` up to the next month; `events_default` takes any other expiry, so an insert
 * never fails for want of a partition.
 *
 * The primary key must include the partition key: it becomes `(owner, event_id, expires_at)`, still led
 * by the owner (the distribution key, see `src/storage/distribution.ts`). That `(owner, event_id)` is
 * stored once, which the key alone no longer enforces, is kept by the writer (events repository,
 * `insertMany`). The indexes of 0008, 0009 and 0010 are made again on the new table.
 *
 * Existing rows move: a partition is made for every month they expire in and for this month and the
 * next three (retention makes the rest ahead, as far as the charter keeps events). SQLite keeps its
 * plain table.
 */
export const migration0021EventsByMonth: Migration = {
  async up(db: MigrationDb) {
    if (dialectOf(db as Db) !== 'postgres') return
    // Out of the way: the old table, its key and its indexes (index names are per schema).
    await sql`alter table events rename to events_unpartitioned`.execute(db)
    await sql`alter table events_unpartitioned rename constraint events_pk to events_unpartitioned_pk`.execute(
      db,
    )
    for (const index of ['events_expires_hour', 'events_happened_hour', 'events_recomm'])
      await sql`drop index ${sql.id(index)}`.execute(db)

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
      constraint events_pk primary key (owner, event_id, expires_at)
    ) partition by range (expires_at)`.execute(db)
    await sql`create index events_expires_hour on events (substr(expires_at, 1, 13))`.execute(db)
    await sql`create index events_happened_hour
      on events (substr(coalesce(occurred_at, received_at), 1, 13))`.execute(db)
    await sql`create index events_recomm on events (recomm_id) where recomm_id is not null`.execute(
      db,
    )
    await sql`create table events_default partition of events default`.execute(db)

    const { rows } = await sql<{ month: string }>`
      select distinct substr(expires_at, 1, 7) as month from events_unpartitioned`.execute(db)
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
        kind, rating, occurred_at, received_at, purposes, expires_at
      from events_unpartitioned`.execute(db)
    await sql`drop table events_unpartitioned`.execute(db)
  },
  async down(db: MigrationDb) {
    if (dialectOf(db as Db) !== 'postgres') return
    await sql`alter table events rename to events_partitioned`.execute(db)
    await sql`alter table events_partitioned rename constraint events_pk to events_partitioned_pk`.execute(
      db,
    )
    for (const index of ['events_expires_hour', 'events_happened_hour', 'events_recomm'])
      await sql`drop index ${sql.id(index)}`.execute(db)
    await sql`create table events (like events_partitioned including defaults)`.execute(db)
    await sql`alter table events add constraint events_pk primary key (owner, event_id)`.execute(db)
    await sql`create index events_expires_hour on events (substr(expires_at, 1, 13))`.execute(db)
    await sql`create index events_happened_hour
      on events (substr(coalesce(occurred_at, received_at), 1, 13))`.execute(db)
    await sql`create index events_recomm on events (recomm_id) where recomm_id is not null`.execute(
      db,
    )
    // Should one (owner, event_id) be stored twice, the later expiry is kept.
    await sql`insert into events select * from events_partitioned
      order by owner, event_id, expires_at desc on conflict do nothing`.execute(db)
    await sql`drop table events_partitioned cascade`.execute(db)
  },
}
