import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CLI, runCandor } from './helpers/cli.js'
import { freePort } from './helpers/processes.js'
import { DIALECTS, type TestDatabase, createTestDatabase } from './helpers/test-context.js'

/**
 * Issue 18 point 6: with CANDOR_TRAIN_INTERVAL_MINUTES=0 a server process never trains (no job, no
 * training on first use); answers are a clear 503 until `candor train`, run as a process of its own on
 * the same database, stores a model, which the server then serves within seconds.
 */
const PERSONAL = 'personalize.recommendations'
const ITEMS = ['MUG', 'TEA', 'POT', 'CANDLE', 'HOLDER'].map((id) => ({
  id,
  title: `The ${id.toLowerCase()}`,
  category: ['Home'],
}))

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

for (const dialect of DIALECTS) {
  describe(`a server that never trains, on ${dialect}`, { timeout: 120_000 }, () => {
    let database: TestDatabase
    let env: Record<string, string>
    let child: ChildProcess
    let output = ''
    let base = ''
    const keys = { admin: '', storefront: '' }

    const call = async (method: string, url: string, key: string, body?: unknown) => {
      const r = await fetch(`${base}${url}`, {
        method,
        headers: {
          authorization: `Bearer ${key}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      })
      return { status: r.status, type: r.headers.get('content-type'), text: await r.text() }
    }
    const trainingRuns = async () => {
      const r = await call('GET', '/v1/recommendations/quality', keys.admin)
      expect(r.status, r.text).toBe(200)
      return (JSON.parse(r.text) as { runs: unknown[] }).runs.length
    }

    beforeAll(async () => {
      database = await createTestDatabase(dialect)
      env = {
        CANDOR_DATA_DIR: database.dir,
        CANDOR_DATABASE_URL: database.url,
        CANDOR_CHARTER_FILE: path.resolve('candor.charter.yaml'),
        CANDOR_DEMO: 'off',
        CANDOR_TRAIN_INTERVAL_MINUTES: '0',
      }
      for (const role of ['admin', 'storefront'] as const) {
        const created = runCandor(['keys', 'create', '--role', role, '--name', 'never'], env)
        expect(created.code, created.stderr).toBe(0)
        keys[role] = created.stdout.trim()
      }
      const port = await freePort()
      base = `http://127.0.0.1:${port}`
      child = spawn(process.execPath, ['--import', 'tsx', CLI, 'start'], {
        env: {
          ...process.env,
          ...env,
          CANDOR_PORT: String(port),
          CANDOR_WORKERS: '1',
          CANDOR_LOG_LEVEL: 'info',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
      child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
      const started = Date.now()
      while (!/Candor is serving on/.test(output)) {
        if (child.exitCode !== null) throw new Error(`the server exited: ${output.slice(-2000)}`)
        if (Date.now() - started > 45_000) throw new Error('the server did not start in 45 s')
        await sleep(50)
      }
      const put = await call('PUT', '/v1/items', keys.storefront, { items: ITEMS })
      expect(put.status, put.text).toBe(200)
      const notice = await call('GET', '/v1/notice', keys.storefront)
      const version = (JSON.parse(notice.text) as { version: string }).version
      for (let n = 0; n < 4; n += 1) {
        const ref = `never-${n}`
        const consent = await call(
          'PUT',
          `/v1/subjects/${ref}/consents/${PERSONAL}`,
          keys.storefront,
          {
            decision: 'granted',
            noticeVersion: version,
            jurisdiction: 'UK',
          },
        )
        expect(consent.status, consent.text).toBe(200)
        const bought = n < 3 ? ['MUG', 'TEA', 'POT'] : ['CANDLE', 'HOLDER']
        const events = await call('POST', '/v1/events', keys.storefront, {
          events: bought.map((item, i) => ({
            id: `${ref}-${i}`,
            type: 'purchase',
            subject: ref,
            item,
            timestamp: new Date(Date.now() - 60_000).toISOString(),
          })),
        })
        expect(events.status, events.text).toBe(200)
      }
    }, 120_000)

    afterAll(async () => {
      if (child !== undefined && child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL')
        await once(child, 'exit')
      }
      await database?.drop()
    })

    it('does not train at start, has no training job, and answers at once with a 503 saying how to train', async () => {
      // The job runner has polled a few times (once a second) since the start.
      await sleep(2_500)
      expect(await trainingRuns()).toBe(0)
      expect(output).not.toContain('item model trained')
      const jobs = await call('GET', '/v1/admin/jobs', keys.admin)
      expect(jobs.status, jobs.text).toBe(200)
      const kinds = (JSON.parse(jobs.text) as { jobs: { kind: string }[] }).jobs.map((j) => j.kind)
      expect(kinds).not.toContain('recommend.train')
      for (let k = 0; k < 3; k += 1) {
        const asked = Date.now()
        const r = await call('GET', '/v1/recommendations?item=MUG&limit=5', keys.storefront)
        expect(Date.now() - asked).toBeLessThan(2_000)
        expect(r.status, r.text).toBe(503)
        expect(r.type).toContain('application/problem+json')
        const problem = JSON.parse(r.text) as { code: string; reason: string; detail: string }
        expect(problem.code).toBe('unavailable')
        expect(problem.reason).toBe('model_not_trained')
        expect(problem.detail).toContain('candor train')
      }
      expect(await trainingRuns()).toBe(0)
    })

    it('serves the model `candor train` stored from a process of its own within seconds', async () => {
      const trained = runCandor(['train'], env)
      expect(trained.code, trained.stderr).toBe(0)
      expect(await trainingRuns()).toBe(1)
      const stored = Date.now()
      let answer: { status: number; text: string }
      for (;;) {
        answer = await call('GET', '/v1/recommendations?item=MUG&limit=5', keys.storefront)
        if (answer.status !== 503 || Date.now() - stored > 5_000) break
        await sleep(100)
      }
      expect(answer.status, answer.text).toBe(200)
      expect(Date.now() - stored).toBeLessThan(3_000)
      const ids = (JSON.parse(answer.text) as { items: { id: string }[] }).items.map((i) => i.id)
      expect(ids).toContain('TEA')
      // Served, not trained here: still the one run, and no training in the server's log.
      expect(await trainingRuns()).toBe(1)
      expect(output).not.toContain('item model trained')
    })
  })
}
