import { spawn } from 'node:child_process'
import path from 'node:path'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openRuntime } from '../src/main/runtime.js'
import { DIALECTS, type TestDatabase, createTestDatabase } from './helpers/test-context.js'
import { type Receiver, startReceiver, vendorEnv } from './helpers/vendor-receiver.js'

const CHILD = path.resolve('test/fixtures/vendors-child.ts')

/** Runs the child from `startBatch` and SIGKILLs it `delayMs` after it is ready. */
function runAndKill(env: Record<string, string>, startBatch: number, delayMs: number) {
  return new Promise<{ lastBatch: number }>((resolve, reject) => {
    // `node --import tsx`: the tsx binary would run the script in a grandchild the SIGKILL misses.
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, String(startBatch)], {
      env: { ...process.env, CANDOR_LOG_LEVEL: 'silent', CANDOR_DEMO: 'off', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let lastBatch = startBatch - 1
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.stdout.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) {
        if (line === 'ready') setTimeout(() => child.kill('SIGKILL'), delayMs)
        else if (line.startsWith('batch ')) lastBatch = Number(line.slice(6))
      }
    })
    child.on('error', reject)
    child.on('exit', (_code, signal) =>
      signal === 'SIGKILL'
        ? resolve({ lastBatch })
        : reject(new Error(`child ended without being killed: ${stderr}`)),
    )
  })
}

for (const dialect of DIALECTS) {
  describe(`the vendor outbox survives SIGKILL on ${dialect}`, () => {
    let database: TestDatabase
    let receiver: Receiver
    let env: Record<string, string>
    beforeAll(async () => {
      database = await createTestDatabase(dialect)
      receiver = await startReceiver()
      env = {
        CANDOR_DATA_DIR: database.dir,
        CANDOR_DATABASE_URL: database.url,
        ...vendorEnv(receiver.url),
      }
    })
    afterAll(async () => {
      await receiver?.close()
      await database?.drop()
    })

    it('delivers every stored event to its vendor, each once by webhook-id, after kills', async () => {
      let next = 0
      for (let k = 0; k < 3; k++) {
        const run = await runAndKill(env, next, 300 + Math.floor(Math.random() * 900))
        next = run.lastBatch + 1
      }
      const runtime = await openRuntime(
        { ...process.env, ...env, CANDOR_LOG_LEVEL: 'silent', CANDOR_DEMO: 'off' },
        { logDestination: 2, logLevel: 'silent' },
      )
      try {
        await runtime.services.vendors.deliverAll()
        const { db } = runtime.services.storage
        const events = await sql<{ n: number | string }>`select count(*) as n from events`.execute(
          db,
        )
        const deliveries = await sql<{ id: string; status: string }>`
          select id, status from vendor_deliveries where vendor = 'cloud-host'`.execute(db)
        const stored = Number(events.rows[0]!.n)
        expect(stored).toBeGreaterThan(0)
        // Each stored event has its one delivery (same transaction), and every one went out.
        expect(deliveries.rows).toHaveLength(stored)
        expect(deliveries.rows.every((r) => r.status === 'sent')).toBe(true)
        const accepted = receiver.accepted('cloud-host')
        expect(new Set(accepted.keys())).toEqual(new Set(deliveries.rows.map((r) => r.id)))
        // The outbox rows written with the events were all turned into those deliveries.
        const outbox = await sql<{
          n: number | string
        }>`select count(*) as n from vendor_outbox`.execute(db)
        expect(Number(outbox.rows[0]!.n)).toBe(0)
        // Nothing for the ad network: advertising needs consent, and nobody gave it.
        expect(receiver.accepted('ad-network').size).toBe(0)
      } finally {
        await runtime.close()
      }
    }, 120_000)
  })
}
