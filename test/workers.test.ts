import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import net from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCandor, CLI } from './helpers/cli.js'
import { freePort, request } from './helpers/processes.js'
import { DIALECTS, type TestDatabase, createTestDatabase, runSql } from './helpers/test-context.js'

const PERSONAL = 'personalize.recommendations'

for (const dialect of DIALECTS) {
  describe(`candor start with worker processes on ${dialect}`, { timeout: 120_000 }, () => {
    let database: TestDatabase
    let server: ChildProcess
    let output = ''
    let key: string
    let storefrontKey: string
    let port: number

    beforeAll(async () => {
      database = await createTestDatabase(dialect)
      const env = {
        CANDOR_DATA_DIR: database.dir,
        CANDOR_DATABASE_URL: database.url,
        CANDOR_DEMO: 'off',
      }
      const createKey = (role: string) => {
        const created = runCandor(['keys', 'create', '--role', role, '--name', 'workers test'], env)
        expect(created.code, created.stderr).toBe(0)
        return created.stdout.trim()
      }
      key = createKey('admin')
      storefrontKey = createKey('storefront')
      port = await freePort()
      server = spawn(process.execPath, ['--import', 'tsx', CLI, 'start'], {
        env: {
          ...process.env,
          ...env,
          CANDOR_PORT: String(port),
          CANDOR_WORKERS: '2',
          CANDOR_LOG_LEVEL: 'info',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      server.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
      server.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
      for (let waited = 0; !/serving with 2 worker processes/.test(output); waited += 100) {
        if (server.exitCode !== null || waited > 60_000)
          throw new Error(`the server did not start: ${output.slice(-2000)}`)
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
    })

    afterAll(async () => {
      if (server.exitCode === null) server.kill('SIGKILL')
      await database.drop()
    })

    it('says at start, once for all workers, where the privacy center, console and API docs are (no demo shop with demo off)', () => {
      const started = output
        .split('\n')
        .filter((line) => line.includes('Candor is serving with 2 worker processes'))
        .map((line) => JSON.parse(line) as Record<string, unknown>)
      expect(started.length).toBeGreaterThan(0)
      expect(started[0]).toMatchObject({
        privacyCenter: `http://127.0.0.1:${port}/privacy`,
        console: `http://127.0.0.1:${port}/console`,
        docs: `http://127.0.0.1:${port}/docs`,
      })
      expect(started[0]).not.toHaveProperty('shop')
      expect(started[0]!.msg).toContain(`privacy center: http://127.0.0.1:${port}/privacy`)
    })

    it('serves from every worker, and each sees what another wrote on the very next request', async () => {
      const version = (await request(port, 'GET', '/v1/notice', key)).json<{ version: string }>()
        .version
      const levels = async () => {
        const seen: string[] = []
        for (let k = 0; k < 6; k += 1) {
          const r = await request(port, 'GET', '/v1/subjects/w-1/settings', key)
          expect(r.status, r.text).toBe(200)
          seen.push(r.json<{ effectiveLevel: string }>().effectiveLevel)
        }
        return [...new Set(seen)]
      }
      const consent = async (decision: 'granted' | 'denied') => {
        const r = await request(port, 'PUT', `/v1/subjects/w-1/consents/${PERSONAL}`, key, {
          decision,
          noticeVersion: version,
          jurisdiction: 'UK',
        })
        expect(r.status, r.text).toBe(200)
      }
      // Each worker reads (and keeps a copy of) the shopper's settings first.
      expect(await levels()).toEqual(['off'])
      await consent('granted')
      expect(await levels()).toEqual(['personal'])
      await consent('denied')
      expect(await levels()).toEqual(['off'])
    })

    it('answers /metrics with every worker’s requests summed', async () => {
      const before = await request(port, 'GET', '/metrics', key)
      const count = (text: string) =>
        Number(
          /candor_http_requests_total\{method="GET",route="\/health\/live",status="200"\} (\d+)/.exec(
            text,
          )?.[1] ?? 0,
        )
      for (let k = 0; k < 5; k += 1)
        expect((await request(port, 'GET', '/health/live', key)).status).toBe(200)
      const after = await request(port, 'GET', '/metrics', key)
      expect(after.status, after.text).toBe(200)
      expect(count(after.text) - count(before.text)).toBe(5)

      // What every worker reads from the database is given once, not once per worker.
      const filed = await request(port, 'POST', '/v1/rights-requests', storefrontKey, {
        type: 'access',
        subject: 'w-1',
        jurisdiction: 'UK',
      })
      expect(filed.status, filed.text).toBe(201)
      await runSql(
        database,
        dialect,
        `update rights_requests set due_at = '2000-01-01T00:00:00.000Z'`,
      )
      const overdue = await request(port, 'GET', '/metrics', key)
      expect(
        overdue.text.split('\n').filter((l) => l.startsWith('candor_rights_requests_overdue')),
      ).toEqual(['candor_rights_requests_overdue 1'])
    })

    it('trains in one worker at start (the job table’s lease); asked to train, one worker trains and the other loads its model', async () => {
      const trained = () => output.match(/"msg":"item model trained"/g)?.length ?? 0
      // One worker took the training job at start; the other found it leased or already done.
      for (let waited = 0; trained() < 1 && waited < 10_000; waited += 100)
        await new Promise((resolve) => setTimeout(resolve, 100))
      await new Promise((resolve) => setTimeout(resolve, 1_500))
      expect(trained()).toBe(1)
      const r = await request(port, 'POST', '/v1/admin/train', key)
      expect(r.status, r.text).toBe(200)
      // The worker that served it trained and stored the model; the other loads that (the log is
      // written at least once a second) and trains nothing.
      const pidsOf = (text: string) =>
        output
          .split('\n')
          .filter((line) => line.includes(text))
          .map((line) => (JSON.parse(line) as { pid: number }).pid)
      const servedBy = () => pidsOf('"route":"/v1/admin/train"')
      const loadedBy = () => pidsOf('"msg":"stored item model loaded"')
      for (
        let waited = 0;
        (loadedBy().length < 1 || servedBy().length < 1) && waited < 10_000;
        waited += 100
      )
        await new Promise((resolve) => setTimeout(resolve, 100))
      expect(servedBy()).toHaveLength(1)
      expect(loadedBy()).toHaveLength(1)
      expect(loadedBy()[0]).not.toBe(servedBy()[0])
      expect(trained()).toBe(1)
    })

    it('stops with exit code 1 when its workers cannot start (the port is taken)', async () => {
      const taken = net.createServer().listen(0, '127.0.0.1')
      await once(taken, 'listening')
      const busy = (taken.address() as net.AddressInfo).port
      try {
        const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'start'], {
          env: {
            ...process.env,
            CANDOR_DATA_DIR: database.dir,
            CANDOR_DATABASE_URL: database.url,
            CANDOR_DEMO: 'off',
            CANDOR_PORT: String(busy),
            CANDOR_WORKERS: '2',
            CANDOR_LOG_LEVEL: 'info',
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        })
        let log = ''
        child.stdout.setEncoding('utf8').on('data', (chunk: string) => (log += chunk))
        const [code] = (await once(child, 'exit')) as [number | null]
        expect(code, log).toBe(1)
        expect(log).toMatch(/a worker died while starting/)
      } finally {
        taken.close()
      }
    })

    it('stops every worker on SIGTERM and exits cleanly', async () => {
      const exited = once(server, 'exit')
      server.kill('SIGTERM')
      const [code] = (await exited) as [number | null]
      expect(code).toBe(0)
      expect(output).toMatch(/shutting down the workers/)
      expect(output.match(/"msg":"shutting down"/g)?.length).toBe(2)
      // Both workers served the settings reads above (a log line each, with the process id).
      const pids = new Set(
        output
          .split('\n')
          .filter((line) => line.includes('"route":"/v1/subjects/:ref/settings"'))
          .map((line) => (JSON.parse(line) as { pid: number }).pid),
      )
      expect(pids.size).toBe(2)
    })
  })
}
