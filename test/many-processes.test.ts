import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CLI, runCandor } from './helpers/cli.js'
import { freePort, request } from './helpers/processes.js'
import { type TestDatabase, createTestDatabase } from './helpers/test-context.js'

/**
 * Issue 18, "What it must show": three Candor server processes (separate ports, no cluster module) on
 * one PostgreSQL database. Runs only with PostgreSQL (CANDOR_TEST_DATABASE_URL); in CI (CI=true) it
 * fails without it instead of being skipped.
 */
const PG_URL = process.env.CANDOR_TEST_DATABASE_URL
const IN_CI = process.env.CI === 'true' || process.env.CI === '1'
const PERSONAL = 'personalize.recommendations'
const NAMES = ['A', 'B', 'C'] as const
type Name = (typeof NAMES)[number]

const CATALOG = [
  { id: 'MUG', title: 'Tea mug', category: ['Kitchen', 'Mugs'] },
  { id: 'TEA', title: 'Loose leaf tea', category: ['Kitchen', 'Tea'] },
  { id: 'POT', title: 'Teapot', category: ['Kitchen', 'Tea'] },
  { id: 'CANDLE', title: 'Candle', category: ['Home', 'Candles'] },
  { id: 'HOLDER', title: 'Candle holder', category: ['Home', 'Candles'] },
  { id: 'LAMP', title: 'Desk lamp', category: ['Home', 'Lamps'] },
]

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function until<T>(what: string, ms: number, check: () => Promise<T | undefined>) {
  const started = Date.now()
  for (;;) {
    const value = await check()
    if (value !== undefined) return { value, ms: Date.now() - started }
    if (Date.now() - started > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await sleep(50)
  }
}

interface Server {
  name: Name
  port: number
  child: ChildProcess
  output: string
}

describe.runIf(PG_URL !== undefined || IN_CI)(
  'three Candor processes on one PostgreSQL database',
  { timeout: 120_000 },
  () => {
    let database: TestDatabase
    let sqlClient: pg.Client
    const servers = {} as Record<Name, Server>
    let admin: string
    let storefront: string
    let version: string

    const query = async <R extends pg.QueryResultRow>(text: string, values: unknown[] = []) =>
      (await sqlClient.query<R>(text, values)).rows
    const call = (name: Name, method: string, url: string, body?: unknown, key = admin) =>
      request(servers[name].port, method, url, key, body)

    beforeAll(async () => {
      // A schema of its own on the PostgreSQL server (throws in CI when the URL is missing).
      database = await createTestDatabase('postgres')
      const env = {
        CANDOR_DATA_DIR: database.dir,
        CANDOR_DATABASE_URL: database.url,
        CANDOR_DEMO: 'off',
      }
      const createKey = (role: string) => {
        const created = runCandor(['keys', 'create', '--role', role, '--name', 'three'], env)
        expect(created.code, created.stderr).toBe(0)
        return created.stdout.trim()
      }
      admin = createKey('admin')
      storefront = createKey('storefront')
      sqlClient = new pg.Client({ connectionString: database.url })
      await sqlClient.connect()
      for (const name of NAMES) {
        const port = await freePort()
        const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'start'], {
          env: {
            ...process.env,
            ...env,
            CANDOR_PORT: String(port),
            CANDOR_WORKERS: '1',
            CANDOR_LOG_LEVEL: 'info',
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        })
        const server: Server = { name, port, child, output: '' }
        child.stdout.setEncoding('utf8').on('data', (chunk: string) => (server.output += chunk))
        child.stderr.setEncoding('utf8').on('data', (chunk: string) => (server.output += chunk))
        servers[name] = server
      }
      for (const server of Object.values(servers)) {
        // Three processes start at once, each compiling the source with tsx: on a loaded machine
        // that has taken more than 45 s, so the bound is generous (it only matters when one hangs).
        await until(`${server.name} to serve`, 120_000, async () => {
          if (server.child.exitCode !== null)
            throw new Error(`${server.name} exited: ${server.output.slice(-2000)}`)
          return /Candor is serving on/.test(server.output) ? true : undefined
        })
      }
      version = (await call('A', 'GET', '/v1/notice')).json<{ version: string }>().version
    }, 240_000)

    afterAll(async () => {
      for (const server of Object.values(servers)) {
        if (server.child.exitCode === null && server.child.signalCode === null) {
          server.child.kill('SIGKILL')
          await once(server.child, 'exit')
        }
      }
      await sqlClient?.end()
      await database?.drop()
    })

    const grant = async (at: Name, ref: string, decision: 'granted' | 'denied') => {
      const r = await call(
        at,
        'PUT',
        `/v1/subjects/${ref}/consents/${PERSONAL}`,
        { decision, noticeVersion: version, jurisdiction: 'UK' },
        storefront,
      )
      expect(r.status, r.text).toBe(200)
    }
    const buy = async (at: Name, ref: string, items: string[]) => {
      const r = await call(
        at,
        'POST',
        '/v1/events',
        {
          events: items.map((item, i) => ({
            id: `${ref}-${i}`,
            type: 'purchase',
            subject: ref,
            item,
            timestamp: new Date().toISOString(),
          })),
        },
        storefront,
      )
      expect(r.status, r.text).toBe(200)
    }

    it('only one process trains: the training job ran once, in one of them', async () => {
      const runs = async () =>
        (await query<{ n: number }>('select count(*)::int as n from recommend_training_runs'))[0]!.n
      await until('a training run', 20_000, async () => ((await runs()) >= 1 ? true : undefined))
      // Every process has polled the job table a few times since (once a second).
      await sleep(3_000)
      expect(await runs()).toBe(1)
      const [job] = await query<{ runs: number; due_at: string }>(
        `select runs, due_at from jobs where kind = 'recommend.train'`,
      )
      expect(job?.runs).toBe(1)
      // Next due in an hour (CANDOR_TRAIN_INTERVAL_MINUTES), not now.
      expect(Date.parse(job!.due_at)).toBeGreaterThan(Date.now() + 50 * 60_000)
      const trained = NAMES.filter((name) => servers[name].output.includes('item model trained'))
      expect(trained).toHaveLength(1)
    })

    // Depends on the in-memory copies being told of other processes' writes (LISTEN/NOTIFY work);
    // on PostgreSQL nothing is cached yet, so it holds today.
    it('a consent withdrawn at A is honoured at B and C on the next request', async () => {
      const level = async (at: Name) => {
        const r = await call(at, 'GET', '/v1/subjects/three-1/settings', undefined, storefront)
        expect(r.status, r.text).toBe(200)
        return r.json<{ effectiveLevel: string }>().effectiveLevel
      }
      await grant('A', 'three-1', 'granted')
      // B and C read (and may keep a copy of) the shopper's state.
      expect([await level('B'), await level('C')]).toEqual(['personal', 'personal'])
      await grant('A', 'three-1', 'denied')
      expect([await level('B'), await level('C')]).toEqual(['off', 'off'])
    })

    // Depends on every process's model forgetting a subject erased elsewhere (the model work; today
    // through `recommend_forgotten`, read by each process at most once a second).
    it('an erasure filed at C reaches the models of A and B within a second', async () => {
      const put = await call('A', 'PUT', '/v1/items', { items: CATALOG }, storefront)
      expect(put.status, put.text).toBe(200)
      for (let n = 0; n < 6; n += 1) {
        await grant('A', `crowd-${n}`, 'granted')
        await buy('A', `crowd-${n}`, n < 4 ? ['MUG', 'TEA', 'POT'] : ['CANDLE', 'HOLDER'])
      }
      // The one shopper who bought the lamp with a mug.
      await grant('B', 'lamp-1', 'granted')
      await buy('B', 'lamp-1', ['MUG', 'LAMP'])
      // Each of A and B holds a model with the lamp shopper in it (trained on request here, so that
      // this test does not depend on how a trained model reaches the other processes).
      for (const at of ['A', 'B'] as const) {
        const r = await call(at, 'POST', '/v1/admin/train')
        expect(r.status, r.text).toBe(200)
      }
      const boughtWithLamp = async (at: Name) => {
        const r = await call(
          at,
          'GET',
          '/v1/recommendations?item=LAMP&limit=10',
          undefined,
          storefront,
        )
        expect(r.status, r.text).toBe(200)
        return r
          .json<{ items: { id: string; explanation: { kind: string } }[] }>()
          .items.filter((item) => item.explanation.kind === 'bought_with_item')
          .map((item) => item.id)
      }
      for (const at of ['A', 'B'] as const) expect(await boughtWithLamp(at)).toContain('MUG')
      const erased = await call('C', 'POST', '/v1/rights-requests', {
        type: 'erasure',
        subject: 'lamp-1',
      })
      expect(erased.status, erased.text).toBe(201)
      expect(erased.json<{ status: string }>().status).toBe('completed')
      const filed = Date.now()
      for (const at of ['A', 'B'] as const) {
        await until(`the erasure to reach ${at}'s model`, 5_000, async () =>
          (await boughtWithLamp(at)).includes('MUG') ? undefined : true,
        )
      }
      expect(Date.now() - filed).toBeLessThan(1_000)
    })

    it('killing the process running a rights job lets another finish it within 10 s', async () => {
      await grant('A', 'kill-1', 'granted')
      await buy('A', 'kill-1', ['CANDLE', 'LAMP'])
      // Hold the erasure up at its first write (the models step records the forgotten subject): the
      // process that took the job waits on this lock, holding the job's lease.
      const blocker = new pg.Client({ connectionString: database.url })
      await blocker.connect()
      await blocker.query('begin')
      await blocker.query('lock table recommend_forgotten in exclusive mode')
      const filing = call('B', 'POST', '/v1/rights-requests', {
        type: 'erasure',
        subject: 'kill-1',
      }).catch((error: unknown) => error)
      const { value: holder } = await until('the job to be leased', 10_000, async () => {
        const [row] = await query<{ job_key: string; lease_holder: string }>(
          `select job_key, lease_holder from jobs
           where kind = 'rights.request' and lease_holder is not null`,
        )
        return row
      })
      const pid = (JSON.parse(holder.lease_holder) as unknown[])[3]
      // The process it was filed at runs it (inline, in the request).
      expect(pid).toBe(servers.B.child.pid)
      servers.B.child.kill('SIGKILL')
      await once(servers.B.child, 'exit')
      expect(await filing).toBeInstanceOf(Error)
      await blocker.query('commit')
      await blocker.end()
      const killed = Date.now()
      const { value: status } = await until('another process to finish it', 10_000, async () => {
        const [row] = await query<{ status: string }>(
          'select status from rights_requests where id = $1',
          [holder.job_key],
        )
        return row?.status === 'completed' ? row.status : undefined
      })
      expect(status).toBe('completed')
      expect(Date.now() - killed).toBeLessThan(10_000)
      // Finished by A or C (B is gone): the job left the table.
      const r = await call('C', 'GET', `/v1/rights-requests/${holder.job_key}`)
      expect(r.json<{ status: string }>().status).toBe('completed')
      expect(await query('select 1 from jobs where job_key = $1', [holder.job_key])).toEqual([])
    })
  },
)
