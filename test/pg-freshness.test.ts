import type { FastifyInstance } from 'fastify'
import { sql } from 'kysely'
import pg from 'pg'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { buildApp } from '../src/app.js'
import { type Services, createServices } from '../src/main/compose.js'
import { createOwnerCache } from '../src/storage/changes.js'
import { type Db, type Storage, createStorage } from '../src/storage/db.js'
import { ownerWrites } from '../src/storage/owner-writes.js'
import { DIALECTS, type TestContext, createTestContext } from './helpers/test-context.js'

/**
 * Issue 18, point 1: the in-memory copies are kept on PostgreSQL too, kept fresh across processes by
 * LISTEN/NOTIFY (`src/storage/pg-changes.ts`). Each "process" here is a storage of its own on the same
 * database and schema: its own pool and its own listening connection, as two servers would have. Runs
 * only on PostgreSQL; in CI (where DIALECTS always lists it) it fails rather than skips without a URL.
 */

const PERSONAL = 'personalize.recommendations'

/** Waits until `storage` listens for other processes (it starts listening in the background). */
async function listening(storage: Storage): Promise<void> {
  await vi.waitFor(() => expect(storage.changes.cacheable).toBe(true), { timeout: 5000 })
}

/** The URL with an `application_name` that finds this storage's connections in pg_stat_activity. */
function named(url: string, name: string): string {
  const out = new URL(url)
  out.searchParams.set('application_name', name)
  return out.toString()
}

describe.skipIf(!DIALECTS.includes('postgres'))(
  'fresh copies across processes on PostgreSQL',
  () => {
    let ctx: TestContext
    /** The second process: storage, services and app of its own, counting its statements. */
    let other: { storage: Storage; services: Services; app: FastifyInstance; statements: string[] }
    let version: string
    const otherName = `candor-b-${process.pid}`

    beforeAll(async () => {
      ctx = await createTestContext('postgres')
      const statements: string[] = []
      const storage = createStorage(
        { kind: 'postgres', url: named(ctx.database.url, otherName) },
        { onQuery: (text) => statements.push(text) },
      )
      const services = createServices({
        config: ctx.config,
        storage,
        clock: ctx.clock,
        keys: ctx.services.keys,
        charter: ctx.services.charter,
      })
      const { app } = await buildApp({ services, logger: pino({ level: 'silent' }) })
      other = { storage, services, app, statements }
      version = (await ctx.request({ method: 'GET', url: '/v1/notice' })).json().version
      await sql`create table pairs (owner varchar(40) not null, v integer not null)`.execute(
        ctx.storage.db,
      )
      await listening(ctx.storage)
      await listening(storage)
    })
    afterAll(async () => {
      await other?.app.close()
      await other?.storage.close()
      await ctx?.close()
    })

    const put = (ref: string, decision: 'granted' | 'denied') =>
      ctx.request({
        method: 'PUT',
        url: `/v1/subjects/${ref}/consents/${PERSONAL}`,
        as: 'storefront',
        payload: { decision, noticeVersion: version, jurisdiction: 'UK' },
      })
    /** Whether the other process allows personalization for `ref`, read through its HTTP API. */
    const allowedAtOther = async (ref: string) => {
      const response = await other.app.inject({
        method: 'GET',
        url: `/v1/subjects/${ref}/consents`,
        headers: { authorization: `Bearer ${ctx.keys.storefront}` },
      })
      expect(response.statusCode).toBe(200)
      const decisions = response.json<{ decisions: { purpose: string; allowed: boolean }[] }>()
      return decisions.decisions.find((d) => d.purpose === PERSONAL)!.allowed
    }

    it('a consent granted and withdrawn through one process counts on the next request to the other, which otherwise answers from its copies', async () => {
      expect((await put('fresh-1', 'granted')).statusCode).toBe(200)
      expect(await allowedAtOther('fresh-1')).toBe(true)
      // The same read again: answered from the copies; what it sends is the access's audit record only.
      other.statements.length = 0
      expect(await allowedAtOther('fresh-1')).toBe(true)
      expect(
        other.statements.filter((text) => !/audit_|^begin$|^commit$|advisory/.test(text)),
      ).toEqual([])
      // The reads themselves (identity, ledger) send no statement at all the second time.
      const subjectId = (await other.services.identity.findSubjectId('fresh-1'))!
      await other.services.consent.state(subjectId, { jurisdiction: 'UK' })
      other.statements.length = 0
      expect(await other.services.identity.findSubjectId('fresh-1')).toBe(subjectId)
      const state = await other.services.consent.state(subjectId, { jurisdiction: 'UK' })
      expect(state.decisions.find((d) => d.purpose === PERSONAL)?.allowed).toBe(true)
      expect(other.statements).toEqual([])

      // Withdrawn at the first process: the very next request to the other sees it, without waiting.
      expect((await put('fresh-1', 'denied')).statusCode).toBe(200)
      expect(await allowedAtOther('fresh-1')).toBe(false)
      expect((await put('fresh-1', 'granted')).statusCode).toBe(200)
      expect(await allowedAtOther('fresh-1')).toBe(true)
    })

    it('a committed write reaches the other process by the time its sync returns; a rolled-back one never does', async () => {
      const heard: string[] = []
      other.storage.changes.subscribe((owner) => heard.push(owner ?? '(every owner)'))
      const write = ownerWrites(ctx.storage.changes)
      const insert = write(
        async (db: Db, owner: string) => {
          await sql`insert into pairs (owner, v) values (${owner}, 1)`.execute(db)
        },
        (_, owner) => [owner],
      )
      await expect(
        ctx.storage.db.transaction().execute(async (trx) => {
          await insert(trx, 'sub_rolled_back')
          throw new Error('refused')
        }),
      ).rejects.toThrow('refused')
      await ctx.storage.db.transaction().execute((trx) => insert(trx, 'sub_committed'))
      // No waiting: one round trip on the other's listening connection brings what was committed.
      await other.storage.changes.sync()
      expect(heard).toEqual(['sub_committed'])
      // A payload is a pseudonymous owner id, nothing else; a long list is split below the 8000-byte limit.
      const many = Array.from({ length: 800 }, (_, k) => `sub_${String(k).padStart(20, '0')}`)
      await ctx.storage.db.transaction().execute(async (trx) => {
        const bulk = write(
          async (db: Db) => {
            await sql`insert into pairs (owner, v) values ('sub_bulk', 2)`.execute(db)
          },
          () => many,
        )
        await bulk(trx)
      })
      await other.storage.changes.sync()
      expect(heard.slice(1)).toEqual(many)
    })

    it('requests waiting at the same time share one round trip, started after the one in flight', async () => {
      const changes = other.storage.changes
      const inFlight = changes.sync()
      const waiting = Array.from({ length: 20 }, () => changes.sync())
      expect(inFlight).toBeInstanceOf(Promise)
      // Not the one in flight (sent before they arrived, it may miss a commit they must see): the next.
      expect(new Set(waiting).size).toBe(1)
      expect(waiting[0]).not.toBe(inFlight)
      await Promise.all([inFlight, ...waiting])
      // Nothing in flight any more: the next caller starts a round trip of its own.
      const next = changes.sync()
      expect(next).not.toBe(waiting[0])
      await next
    })

    it('in one process, a copy read on another connection while a transaction is open goes once the transaction ends', async () => {
      const storage = ctx.storage
      const cache = createOwnerCache<number>(storage.changes)
      const read = () =>
        cache.get('sub_window', async () => {
          const { rows } = await sql<{ n: number }>`
          select count(*) as n from pairs where owner = 'sub_window'`.execute(storage.db)
          return Number(rows[0]!.n)
        })
      const insert = ownerWrites(storage.changes)(
        async (db: Db) => sql`insert into pairs (owner, v) values ('sub_window', 5)`.execute(db),
        () => ['sub_window'],
      )
      await storage.db.transaction().execute(async (trx) => {
        await insert(trx)
        // Read on another pooled connection after the write was announced, before its commit: the rows as
        // they were, kept (no change overlapped the read).
        expect(await read()).toBe(0)
      })
      // The commit released the connection, which announced the owner again: the copy is gone.
      expect(await read()).toBe(1)
    })

    it('a lost listening connection drops every copy and reads through until it listens again', async () => {
      const storage = other.storage
      const cache = createOwnerCache<number>(storage.changes)
      let loads = 0
      const read = () =>
        cache.get('pairs', async () => {
          loads += 1
          const { rows } = await sql<{ n: number }>`select count(*) as n from pairs`.execute(
            storage.db,
          )
          return Number(rows[0]!.n)
        })
      const heard: string[] = []
      storage.changes.subscribe((owner) => heard.push(owner ?? '(every owner)'))
      const before = await read()
      expect(await read()).toBe(before)
      expect(loads).toBe(1)

      // Another connection ends the listening one (the pool's connections stay).
      const admin = new pg.Client({ connectionString: ctx.database.url })
      await admin.connect()
      try {
        const { rows } = await admin.query<{ done: boolean }>(
          `select pg_terminate_backend(pid) as done from pg_stat_activity
         where application_name = $1 and (query like 'listen %' or query = 'select 1')`,
          [otherName],
        )
        expect(rows).toEqual([{ done: true }])
      } finally {
        await admin.end()
      }
      await vi.waitFor(() => expect(storage.changes.cacheable).toBe(false))
      expect(heard).toContain('(every owner)')
      // Nothing is kept meanwhile: a write it cannot hear of is read at once.
      await sql`insert into pairs (owner, v) values ('sub_unheard', 3)`.execute(ctx.storage.db)
      expect(await read()).toBe(before + 1)
      expect(await read()).toBe(before + 1)
      expect(loads).toBe(3)

      // It listens again on its own (after a short backoff), and copies are kept again.
      await listening(storage)
      expect(await read()).toBe(before + 1)
      expect(await read()).toBe(before + 1)
      expect(loads).toBe(4)
      // ... and fresh: another process's write drops the copy on the next sync.
      await ctx.storage.db.transaction().execute((trx) =>
        ownerWrites(ctx.storage.changes)(
          async (db: Db) => sql`insert into pairs (owner, v) values ('sub_x', 4)`.execute(db),
          () => ['pairs'],
        )(trx),
      )
      await storage.changes.sync()
      expect(await read()).toBe(before + 2)
      expect(loads).toBe(5)
    })
  },
)
