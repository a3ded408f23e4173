import { spawn } from 'node:child_process'
import path from 'node:path'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openRuntime } from '../src/main/runtime.js'
import { DIALECTS, type TestDatabase, createTestDatabase } from './helpers/test-context.js'

const CHILD = path.resolve('test/fixtures/ingest-child.ts')
const KILLS = 4

interface ChildRun {
  acked: { ref: string; id: string }[]
  lastBatch: number
  signal: NodeJS.Signals | null
}

/** Runs the child from `startBatch` and SIGKILLs it `delayMs` after it is ready (mid-batch, most likely). */
function runAndKill(
  env: Record<string, string>,
  startBatch: number,
  delayMs: number,
): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    // `node --import tsx`, not the tsx binary: that one runs the script in a grandchild, which the
    // SIGKILL would not reach.
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, String(startBatch)], {
      env: { ...process.env, CANDOR_LOG_LEVEL: 'silent', CANDOR_DEMO: 'off', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const run: ChildRun = { acked: [], lastBatch: startBatch - 1, signal: null }
    let buffer = ''
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString()
      let newline = buffer.indexOf('\n')
      while (newline >= 0) {
        const line = buffer.slice(0, newline)
        buffer = buffer.slice(newline + 1)
        newline = buffer.indexOf('\n')
        if (line === 'ready') setTimeout(() => child.kill('SIGKILL'), delayMs)
        else if (line.startsWith('ack ')) {
          const [, ref, id] = line.split(' ')
          run.acked.push({ ref: ref!, id: id! })
        } else if (line.startsWith('batch ')) run.lastBatch = Number(line.slice(6))
      }
    })
    child.on('error', reject)
    child.on('exit', (_code, signal) => {
      run.signal = signal
      if (signal !== 'SIGKILL') reject(new Error(`child ended without being killed: ${stderr}`))
      else resolve(run)
    })
  })
}

for (const dialect of DIALECTS) {
  describe(`ingest survives SIGKILL on ${dialect}`, () => {
    let database: TestDatabase
    let env: Record<string, string>
    beforeAll(async () => {
      database = await createTestDatabase(dialect)
      env = { CANDOR_DATA_DIR: database.dir, CANDOR_DATABASE_URL: database.url }
    })
    afterAll(async () => {
      await database?.drop()
    })

    it('keeps every acknowledged event exactly once, and the database whole', async () => {
      const acked: { ref: string; id: string }[] = []
      let next = 0
      for (let k = 0; k < KILLS; k++) {
        // Restart where the last acknowledged batch ended: the batch in flight is retried.
        const run = await runAndKill(env, next, 150 + Math.floor(Math.random() * 600))
        expect(run.signal).toBe('SIGKILL')
        acked.push(...run.acked)
        next = run.lastBatch + 1
      }
      expect(acked.length).toBeGreaterThan(0)

      const runtime = await openRuntime(
        { ...process.env, ...env, CANDOR_LOG_LEVEL: 'silent', CANDOR_DEMO: 'off' },
        { logDestination: 2, logLevel: 'silent' },
      )
      try {
        const { db } = runtime.services.storage
        const subjects = await runtime.services.identity.findSubjectIds(acked.map((a) => a.ref))
        const rows = await sql<{ owner: string; event_id: string }>`
          select owner, event_id from events`.execute(db)
        const stored = new Map<string, number>()
        for (const r of rows.rows) {
          const key = `${r.owner} ${r.event_id}`
          stored.set(key, (stored.get(key) ?? 0) + 1)
        }
        const missing = acked.filter((a) => stored.get(`${subjects.get(a.ref)} ${a.id}`) !== 1)
        expect(missing).toEqual([])
        // Nothing stored twice, and nothing beyond the batches that were sent.
        expect([...stored.values()].every((n) => n === 1)).toBe(true)
        for (const r of rows.rows)
          expect(Number(/^b(\d+)-/.exec(r.event_id)?.[1])).toBeLessThanOrEqual(next)
        if (dialect === 'sqlite') {
          const check = await sql<{ integrity_check: string }>`pragma integrity_check`.execute(db)
          expect(check.rows.map((r) => r.integrity_check)).toEqual(['ok'])
        }
        expect((await runtime.services.audit.verify()).ok).toBe(true)
      } finally {
        await runtime.close()
      }
    }, 90_000)
  })
}
