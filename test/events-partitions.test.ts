import { Migrator, sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createEventsRepository } from '../src/modules/events/events.repository.js'
import type { StoredEvent } from '../src/modules/events/index.js'
import {
  DEFAULT_PARTITION,
  ensureMonthPartitions,
  listMonthPartitions,
} from '../src/modules/events/events.partitions.js'
import { type Storage, createStorage } from '../src/storage/db.js'
import { migrateToLatest } from '../src/storage/migrate.js'
import { MIGRATIONS } from '../src/storage/migrations/index.js'
import {
  DIALECTS,
  type TestContext,
  createTestContext,
  createTestDatabase,
} from './helpers/test-context.js'

/**
 * Issue 18, point 5: on PostgreSQL the events table is partitioned by the month of its expiry
 * (migrations 0021 and 0022): an event lands in its month's partition, or in `events_long` when kept
 * longer than 14 months; retention drops a month whose events have all expired and deletes row by row
 * in a month only partly expired; a retry with another expiry is still stored once; rows present
 * before the migrations move into them. The events and
 * retention suites (test/events.test.ts) run unchanged on both databases.
 */

const SUBJECT = 'sub_partitions'
const PURPOSE = 'personalize.recommendations'

function event(
  id: string,
  expiresAt: string,
  receivedAt = '2026-03-01T12:00:00.000Z',
): StoredEvent {
  return {
    id,
    type: 'view',
    subjectId: SUBJECT,
    item: 'MUG',
    occurredAt: receivedAt,
    receivedAt,
    purposes: [PURPOSE],
    expiresAt,
  }
}

/** Which table each of `owner`'s events is stored in, by event id. */
async function placeOf(storage: Storage, owner = SUBJECT): Promise<Record<string, string>> {
  const { rows } = await sql<{ id: string; part: string }>`
    select event_id as id, tableoid::regclass::text as part from events where owner = ${owner}
    order by event_id`.execute(storage.db)
  return Object.fromEntries(rows.map((r) => [r.id, r.part]))
}

describe.runIf(DIALECTS.includes('postgres'))('events partitioned by month on postgres', () => {
  let ctx: TestContext
  const repo = () => createEventsRepository(ctx.storage.changes)

  beforeAll(async () => {
    ctx = await createTestContext('postgres')
  })
  afterAll(async () => {
    await ctx.close()
  })

  it('is partitioned by expiry, with a default partition', async () => {
    const { rows } = await sql<{ strategy: string; key: string }>`
      select partstrat as strategy, pg_get_partkeydef('events'::regclass) as key
      from pg_partitioned_table where partrelid = 'events'::regclass`.execute(ctx.storage.db)
    expect(rows).toEqual([{ strategy: 'r', key: 'RANGE (expiry_bucket)' }])
    const { rows: parts } = await sql<{ name: string }>`
      select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
      where i.inhparent = 'events'::regclass and c.relname = ${DEFAULT_PARTITION}`.execute(
      ctx.storage.db,
    )
    expect(parts).toHaveLength(1)
  })

  it('stores an event in its month, and a month not made yet in the default until it is', async () => {
    // The retention run makes the months ahead, from now's (the test clock: March 2026).
    await ctx.services.retention.run()
    const months = (await listMonthPartitions(ctx.storage.db)).map((p) => p.month)
    expect(months).toContain('2026-03')
    expect(months).toContain('2026-04')
    await ctx.storage.db.transaction().execute((trx) =>
      repo().insertMany(trx, [
        event('e-march', '2026-03-20T00:00:00.000Z'),
        event('e-april', '2026-04-10T00:00:00.000Z'),
        // Kept five years: with the others kept longer than 14 months.
        event('e-long', '2031-03-01T00:00:00.000Z'),
        // Received (its clock says) in 2099: a month no partition was made for yet.
        event('e-far', '2099-01-05T00:00:00.000Z', '2099-01-01T00:00:00.000Z'),
      ]),
    )
    expect(await placeOf(ctx.storage)).toEqual({
      'e-april': 'events_p2026_04',
      'e-far': DEFAULT_PARTITION,
      'e-long': 'events_long',
      'e-march': 'events_p2026_03',
    })
    // Making that month moves the event out of the default partition.
    expect(await ensureMonthPartitions(ctx.storage.db, ['2099-01'])).toEqual(['2099-01'])
    expect((await placeOf(ctx.storage))['e-far']).toBe('events_p2099_01')
  })

  it('stores a retried event once, also with another expiry and at the same time', async () => {
    const inserted = await ctx.storage.db
      .transaction()
      .execute((trx) => repo().insertMany(trx, [event('e-retry', '2026-04-01T00:00:00.000Z')]))
    expect(inserted).toEqual([true])
    const again = await ctx.storage.db
      .transaction()
      .execute((trx) => repo().insertMany(trx, [event('e-retry', '2026-06-02T00:00:00.000Z')]))
    expect(again).toEqual([false])

    // Two transactions with one new event, each with an expiry of another month (another partition):
    // the second waits for the first.
    let release!: () => void
    const held = new Promise<void>((resolve) => (release = resolve))
    let firstInserted!: Promise<boolean[]>
    const first = ctx.storage.db.transaction().execute(async (trx) => {
      firstInserted = repo().insertMany(trx, [event('e-race', '2026-04-03T00:00:00.000Z')])
      await firstInserted
      await held
    })
    await new Promise((resolve) => setTimeout(resolve, 50))
    await firstInserted
    const second = ctx.storage.db
      .transaction()
      .execute((trx) => repo().insertMany(trx, [event('e-race', '2026-05-20T00:00:00.000Z')]))
    await new Promise((resolve) => setTimeout(resolve, 100))
    release()
    await first
    expect(await firstInserted).toEqual([true])
    expect(await second).toEqual([false])
    const { rows } = await sql<{ n: number }>`
      select count(*) as n from events where owner = ${SUBJECT} and event_id in ('e-retry', 'e-race')`.execute(
      ctx.storage.db,
    )
    expect(rows[0]?.n).toBe(2)
  })

  it('drops a month whose events all expired, and keeps the unexpired rows of a month partly expired', async () => {
    await ctx.storage.db
      .transaction()
      .execute((trx) =>
        repo().insertMany(trx, [
          event('e-april-late', '2026-04-28T00:00:00.000Z'),
          event('e-may', '2026-05-03T00:00:00.000Z'),
        ]),
      )
    // 15 April: March has ended (every March expiry has passed); April only partly.
    ctx.clock.set('2026-04-15T00:00:00.000Z')
    const report = await ctx.services.retention.run()
    const months = (await listMonthPartitions(ctx.storage.db)).map((p) => p.month)
    expect(months).not.toContain('2026-03')
    expect(months).toContain('2026-04')
    // e-march went with its month; e-april, e-retry and e-race (April, before the 15th) row by row.
    expect(report.deleted.events?.events).toBe(4)
    expect(await placeOf(ctx.storage)).toEqual({
      'e-april-late': 'events_p2026_04',
      'e-far': 'events_p2099_01',
      'e-long': 'events_long',
      'e-may': 'events_p2026_05',
    })
  })
})

describe.runIf(DIALECTS.includes('postgres'))('migrations 0021 and 0022 on postgres', () => {
  it('moves the events stored before it into their months (0021, then 0022), none lost', async () => {
    const database = await createTestDatabase('postgres')
    const storage = createStorage({ kind: 'postgres', url: database.url })
    try {
      const { rows: schema } = await sql<{ schema: string }>`
        select current_schema() as schema`.execute(storage.db)
      const migrator = new Migrator({
        db: storage.db,
        migrationTableSchema: schema[0]!.schema,
        provider: { getMigrations: () => Promise.resolve(MIGRATIONS) },
        migrationTableName: 'candor_migrations',
        migrationLockTableName: 'candor_migrations_lock',
      })
      const before = await migrator.migrateTo('0020_distribution_keys')
      expect(before.error).toBeUndefined()
      await sql`insert into events (owner, event_id, type, received_at, purposes, expires_at) values
        ('sub_a', 'e-1', 'view', '2025-01-01T00:00:00.000Z', ',p,', '2025-02-01T00:00:00.000Z'),
        ('sub_a', 'e-2', 'view', '2025-01-01T00:00:00.000Z', ',p,', '2031-07-09T10:00:00.000Z'),
        ('ses_b', 'e-1', 'view', '2025-01-01T00:00:00.000Z', ',p,', '2025-02-28T23:59:59.999Z')`.execute(
        storage.db,
      )
      await migrateToLatest(storage)
      const { rows } = await sql<{ owner: string; id: string; part: string }>`
        select owner, event_id as id, tableoid::regclass::text as part from events
        order by owner, event_id`.execute(storage.db)
      expect(rows).toEqual([
        { owner: 'ses_b', id: 'e-1', part: 'events_p2025_02' },
        { owner: 'sub_a', id: 'e-1', part: 'events_p2025_02' },
        { owner: 'sub_a', id: 'e-2', part: 'events_long' },
      ])
    } finally {
      await storage.close()
      await database.drop()
    }
  })
})
