import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { sql } from 'kysely'
import pg from 'pg'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { parseConfig } from '../src/config.js'
import { createManualClock } from '../src/lib/clock.js'
import {
  type JobLease,
  type JobRunner,
  createJobRunner,
  currentHolder,
  formatHolder,
} from '../src/modules/jobs/index.js'
import { type Storage, createStorage } from '../src/storage/db.js'
import { migrateToLatest } from '../src/storage/migrate.js'
import {
  DIALECTS,
  type TestContext,
  type TestDatabase,
  createTestContext,
  createTestDatabase,
} from './helpers/test-context.js'

const START = '2026-03-02T09:00:00.000Z'
const LEASE_MS = 6_000
const RETRY_MS = 30_000

/** A promise and the function that settles it, for a job that works until the test lets it end. */
function gate(): { promise: Promise<void>; open(): void } {
  let open!: () => void
  const promise = new Promise<void>((resolve) => (open = resolve))
  return { promise, open }
}

async function until(check: () => boolean | Promise<boolean>, ms = 5_000): Promise<void> {
  for (const started = Date.now(); !(await check());) {
    if (Date.now() - started > ms) throw new Error('timed out waiting')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

for (const dialect of DIALECTS) {
  describe(`the job table on ${dialect}`, () => {
    let database: TestDatabase
    const storages: Storage[] = []
    const clock = createManualClock(START)

    /** Another process's view: its own connection(s) to the database. */
    function open(): Storage {
      const config = parseConfig({
        CANDOR_DATA_DIR: database.dir,
        CANDOR_DATABASE_URL: database.url,
        CANDOR_CHARTER_FILE: path.resolve('candor.charter.yaml'),
      })
      const storage = createStorage(config.database)
      storages.push(storage)
      return storage
    }

    function runner(options: Partial<Parameters<typeof createJobRunner>[0]> = {}): JobRunner {
      return createJobRunner({ db: open().db, clock, ...options })
    }

    const rowOf = async (kind: string, key = '') => {
      const runner = createJobRunner({ db: storages[0]!.db, clock })
      return (await runner.list()).find((job) => job.kind === kind && (job.key ?? '') === key)
    }

    beforeAll(async () => {
      database = await createTestDatabase(dialect)
      await migrateToLatest(open())
    })
    afterEach(async () => {
      await sql`delete from jobs`.execute(storages[0]!.db)
      clock.set(START)
    })
    afterAll(async () => {
      for (const storage of storages) await storage.close()
      await database.drop()
    })

    it('two runners claim a due job once', async () => {
      let runs = 0
      const release = gate()
      const define = (jobs: JobRunner) =>
        jobs.define({
          kind: 'count',
          everyMs: 60_000,
          run: async () => {
            runs += 1
            // The first run (by runNow) ends at once; the one claimed below works until released.
            if (runs > 1) await release.promise
          },
        })
      const [a, b] = [runner({ holder: { ...currentHolder(), pid: 1 } }), runner()]
      define(a)
      define(b)
      expect(await a.runNow('count')).toBe(true)
      // runNow ran it once (runs 1) and scheduled it a minute on; make it due again.
      clock.advance(60_000)
      const claims = await Promise.all([a.startDue(), b.startDue(), a.startDue(), b.startDue()])
      expect(claims.filter(Boolean)).toHaveLength(1)
      expect((await rowOf('count'))?.state).toBe('running')
      release.open()
      await Promise.all([a.idle(), b.idle()])
      expect(runs).toBe(2)
      const row = await rowOf('count')
      expect(row).toMatchObject({ state: 'scheduled', runs: 2, failures: 0, lease: null })
      expect(row?.dueAt).toBe(new Date(Date.parse(START) + 120_000).toISOString())
    }, 20_000)

    it('takes over a lease that is not renewed once it has run out; the first holder learns it lost it', async () => {
      const hung = gate()
      let lost: JobLease | undefined
      // A stalls: it holds the lease and renews it no more (its renewals come after the take-over).
      const a = runner({ holder: { ...currentHolder(), host: 'machine-a' }, renewMs: 300 })
      const b = runner()
      a.define({
        kind: 'slow',
        everyMs: 60_000,
        run: async (_key, lease) => {
          lost = lease
          await hung.promise
        },
      })
      let bRan = false
      b.define({ kind: 'slow', everyMs: 60_000, run: async () => void (bRan = true) })
      await sql`insert into jobs (kind, job_key, due_at, runs, failures) values ('slow', '', ${START}, 0, 0)`.execute(
        storages[0]!.db,
      )
      expect(await a.startDue()).toBe(true)
      expect((await rowOf('slow'))?.lease).toMatchObject({ host: 'machine-a', pid: process.pid })
      // Still held: another machine's holder is never judged dead, only waited out.
      expect(await b.releaseDead()).toBe(0)
      expect(await b.startDue()).toBe(false)
      clock.advance(LEASE_MS + 1)
      // A renews on its own timer with the manual clock; stop it from renewing by taking the lease now.
      expect(await b.startDue()).toBe(true)
      await b.idle()
      expect(bRan).toBe(true)
      await until(() => lost?.lost === true)
      expect(() => lost!.check()).toThrow(/taken by another process/)
      hung.open()
      await a.idle()
      // A's end changed nothing: the row is as B left it.
      expect(await rowOf('slow')).toMatchObject({ runs: 1, failures: 0, lease: null })
    }, 20_000)

    it('a restarted process on the same machine takes back its dead predecessor’s lease at once', async () => {
      const self = currentHolder()
      const exited = spawnSync(process.execPath, ['-e', '']).pid
      const linux = self.boot !== '' && self.ns !== '' && !self.start.startsWith('r')
      for (const dead of [
        { ...self, pid: exited },
        // This very process id, another start time: the previous run of this container, say.
        { ...self, start: `${self.start}0` },
      ]) {
        await sql`insert into jobs (kind, job_key, due_at, lease_holder, lease_until, runs, failures)
          values ('resume', '', ${START}, ${formatHolder(dead)},
            ${new Date(Date.parse(START) + LEASE_MS).toISOString()}, 0, 0)`.execute(storages[0]!.db)
        const restarted = runner()
        let ran = 0
        restarted.define({ kind: 'resume', everyMs: 60_000, run: async () => void (ran += 1) })
        // The clock has not moved: the lease has not run out.
        expect(await restarted.releaseDead()).toBe(linux ? 1 : 0)
        expect(await restarted.startDue()).toBe(linux)
        await restarted.idle()
        expect(ran).toBe(linux ? 1 : 0)
        // A one-off job held by the dead process is taken over by runNow too.
        await sql`insert into jobs (kind, job_key, due_at, lease_holder, lease_until, runs, failures)
          values ('once', 'k1', ${START}, ${formatHolder(dead)},
            ${new Date(Date.parse(START) + LEASE_MS).toISOString()}, 0, 0)`.execute(storages[0]!.db)
        restarted.define({ kind: 'once', run: async () => void (ran += 1) })
        expect(await restarted.runNow('once', 'k1')).toBe(linux)
        // A one-off job that succeeded is gone from the table.
        expect(await rowOf('once', 'k1')).toEqual(linux ? undefined : expect.anything())
        await sql`delete from jobs`.execute(storages[0]!.db)
      }
    }, 20_000)

    it('a live holder is not taken over: runNow says another process has it', async () => {
      const hung = gate()
      const [holding, other] = [runner(), runner()]
      holding.define({ kind: 'once', run: () => hung.promise })
      other.define({ kind: 'once', run: async () => undefined })
      const held = holding.runNow('once', 'k3')
      await until(async () => (await rowOf('once', 'k3'))?.state === 'running')
      // Held by this very process, alive: not released, not claimed (not even by its own process).
      expect(await other.releaseDead()).toBe(0)
      expect(await other.runNow('once', 'k3')).toBe(false)
      hung.open()
      expect(await held).toBe(true)
    }, 20_000)

    it('a job that throws keeps its error (no details) and is tried again later, backing off', async () => {
      const jobs = runner()
      let calls = 0
      jobs.define({
        kind: 'flaky',
        everyMs: 3_600_000,
        retryMs: RETRY_MS,
        run: async () => {
          calls += 1
          if (calls <= 2) throw new Error(`connection refused (try ${calls})`)
        },
      })
      const started = await jobs.start({ onError: () => undefined })
      await until(() => calls === 1)
      await started.stop()
      let row = await rowOf('flaky')
      expect(row).toMatchObject({
        state: 'failing',
        failures: 1,
        runs: 1,
        lastError: 'Error: connection refused (try 1)',
        lease: null,
        dueAt: new Date(Date.parse(START) + RETRY_MS).toISOString(),
      })
      expect(await jobs.startDue()).toBe(false)
      clock.advance(RETRY_MS)
      expect(await jobs.startDue()).toBe(true)
      await jobs.idle()
      row = await rowOf('flaky')
      // The second failure waits twice as long.
      expect(row).toMatchObject({ failures: 2, lastError: 'Error: connection refused (try 2)' })
      expect(row?.dueAt).toBe(new Date(Date.parse(START) + 3 * RETRY_MS).toISOString())
      clock.advance(2 * RETRY_MS)
      expect(await jobs.startDue()).toBe(true)
      await jobs.idle()
      expect(await rowOf('flaky')).toMatchObject({
        state: 'scheduled',
        failures: 0,
        runs: 3,
        lastError: null,
      })
      // runNow records the error too, and rethrows it to its caller.
      const once = runner()
      once.define({
        kind: 'once',
        run: async () => {
          throw new Error('step failed')
        },
      })
      await expect(once.runNow('once', 'k4')).rejects.toThrow('step failed')
      expect(await rowOf('once', 'k4')).toMatchObject({
        state: 'failing',
        lastError: 'Error: step failed',
      })
    }, 20_000)

    if (dialect === 'postgres') {
      it('claims with FOR UPDATE SKIP LOCKED: a row being claimed is passed over, not waited for; concurrent claims take each job once', async () => {
        const kinds = ['p1', 'p2', 'p3', 'p4', 'p5']
        for (const [n, kind] of kinds.entries()) {
          await sql`insert into jobs (kind, job_key, due_at, runs, failures)
            values (${kind}, '', ${new Date(Date.parse(START) - 1000 * (10 - n)).toISOString()}, 0, 0)`.execute(
            storages[0]!.db,
          )
        }
        // Another process is in the middle of claiming p1 (the oldest due): its row is locked.
        const other = new pg.Client({ connectionString: database.url })
        await other.connect()
        try {
          await other.query('begin')
          await other.query(`select * from jobs where kind = 'p1' for update`)
          const hung = gate()
          const runners = Array.from({ length: 4 }, () => runner())
          const ran: string[] = []
          for (const r of runners) {
            for (const kind of kinds) {
              r.define({
                kind,
                everyMs: 60_000,
                run: async () => {
                  ran.push(kind)
                  await hung.promise
                },
              })
            }
          }
          // Eight claims at once over four connections: p1 is skipped (locked), p2..p5 each taken once,
          // and no claim waits for the lock (a plain FOR UPDATE would hang here until the commit).
          const claims = await Promise.race([
            Promise.all(runners.flatMap((r) => [r.startDue(), r.startDue()])),
            new Promise<never>((_, reject) =>
              setTimeout(() => reject(new Error('a claim waited for the locked row')), 5_000),
            ),
          ])
          expect(claims.filter(Boolean)).toHaveLength(4)
          expect(ran.sort()).toEqual(['p2', 'p3', 'p4', 'p5'])
          await other.query('commit')
          expect(await runners[0]!.startDue()).toBe(true)
          expect(ran).toContain('p1')
          hung.open()
          await Promise.all(runners.map((r) => r.idle()))
          const rows = await createJobRunner({ db: storages[0]!.db, clock }).list()
          expect(rows.map((r) => [r.kind, r.runs])).toEqual(kinds.map((k) => [k, 1]))
        } finally {
          await other.end()
        }
      }, 20_000)
    }
  })

  describe(`GET /v1/admin/jobs on ${dialect}`, () => {
    let ctx: TestContext
    beforeAll(async () => {
      ctx = await createTestContext(dialect)
    })
    afterAll(async () => {
      await ctx?.close()
    })

    it('lists each job with its state, holder (machine and process id), last run and error; admins only', async () => {
      const { jobs } = ctx.services
      jobs.define({
        kind: 'example',
        everyMs: 60_000,
        run: async () => {
          throw new Error('disk full')
        },
      })
      await expect(jobs.runNow('example')).rejects.toThrow('disk full')
      const hung = gate()
      jobs.define({ kind: 'busy', run: () => hung.promise })
      const busy = jobs.runNow('busy', 'b1')
      await until(async () => (await jobs.list()).some((j) => j.kind === 'busy'))
      const response = await ctx.request({ method: 'GET', url: '/v1/admin/jobs', as: 'admin' })
      expect(response.statusCode, response.body).toBe(200)
      const listed = response.json<{ jobs: Record<string, unknown>[] }>().jobs
      expect(listed.find((j) => j.kind === 'example')).toMatchObject({
        key: null,
        state: 'failing',
        lease: null,
        runs: 1,
        failures: 1,
        lastError: 'Error: disk full',
        lastStartedAt: ctx.clock.now().toISOString(),
      })
      expect(listed.find((j) => j.kind === 'busy')).toMatchObject({
        key: 'b1',
        state: 'running',
        lease: { host: currentHolder().host, pid: process.pid },
      })
      // The holder as stored (boot id, namespace, start time) is not shown.
      expect(response.body).not.toContain(currentHolder().boot || 'no-boot-id')
      hung.open()
      await busy
      for (const role of ['storefront', 'analyst', 'privacy_officer'] as const) {
        const refused = await ctx.request({ method: 'GET', url: '/v1/admin/jobs', as: role })
        expect(refused.statusCode).toBe(403)
      }
    })
  })
}
