import fs from 'node:fs'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createManualClock } from '../src/lib/clock.js'
import { importOrders, parseCsvLine, parseOrderDate } from '../src/modules/events/events.import.js'
import { DIALECTS, type TestContext, createTestContext } from './helpers/test-context.js'

const FIXTURE = path.resolve('test/fixtures/uci-online-retail-sample.csv')
const actor = { kind: 'cli' as const, command: 'import orders' }

// What the sample holds: 300 rows of 1 December 2010 (9 of them cancellations, with a negative
// quantity), then 20 rows without a CustomerID.
const ROWS = 320
const CANCELLED = 9
const NO_CUSTOMER = 20

describe('order file parsing', () => {
  it('reads quoted CSV fields and both UCI date formats', () => {
    expect(parseCsvLine('536381,82567,"AIRLINE LOUNGE,METAL SIGN",2,x')).toEqual([
      '536381',
      '82567',
      'AIRLINE LOUNGE,METAL SIGN',
      '2',
      'x',
    ])
    expect(parseCsvLine('a,"say ""hi""",')).toEqual(['a', 'say "hi"', ''])
    expect(parseOrderDate('2010-12-01 08:26:00')).toBe('2010-12-01T08:26:00.000Z')
    expect(parseOrderDate('12/1/2010 8:26')).toBe('2010-12-01T08:26:00.000Z')
    expect(parseOrderDate('2010-02-30 08:26:00')).toBeUndefined()
  })
})

for (const dialect of DIALECTS) {
  describe(`candor import orders on ${dialect}`, () => {
    let ctx: TestContext
    const deps = () => ({
      events: ctx.services.events,
      catalog: ctx.services.catalog,
      charter: ctx.services.charter,
    })
    beforeAll(async () => {
      // The sample's orders are from December 2010: run the import a few weeks later.
      ctx = await createTestContext(dialect, { clock: createManualClock('2011-01-10T12:00:00Z') })
    })
    afterAll(async () => {
      await ctx?.close()
    })

    it('refuses a basis no purpose for purchases rests on', async () => {
      await expect(
        importOrders(deps(), { file: FIXTURE, basis: 'contract', actor }),
      ).rejects.toMatchObject({ code: 'validation_failed' })
    })

    it('imports in chunks, resumes after an interruption, and never duplicates', async () => {
      const controller = new AbortController()
      const progress: number[] = []
      const first = await importOrders(deps(), {
        file: FIXTURE,
        basis: 'legitimate_interest',
        jurisdiction: 'UK',
        chunkLines: 100,
        actor,
        signal: controller.signal,
        onProgress: (done) => {
          progress.push(done)
          if (done >= 100) controller.abort()
        },
      })
      expect(first.completed).toBe(false)
      expect(first.linesDone).toBe(100)
      expect(first.totalLines).toBe(ROWS)

      // Without --resume, an interrupted import is not silently restarted.
      await expect(
        importOrders(deps(), { file: FIXTURE, basis: 'legitimate_interest', actor }),
      ).rejects.toMatchObject({ code: 'conflict' })

      const resumed = await importOrders(deps(), {
        file: FIXTURE,
        basis: 'legitimate_interest',
        jurisdiction: 'UK',
        chunkLines: 100,
        resume: true,
        actor,
      })
      expect(resumed.completed).toBe(true)
      expect(resumed.resumedFrom).toBe(100)
      expect(resumed.linesDone).toBe(ROWS)
      expect(resumed.stored).toBe(ROWS - CANCELLED - NO_CUSTOMER)
      expect(resumed.reasons).toEqual({ no_customer: NO_CUSTOMER, malformed: CANCELLED })
      expect(resumed.stored + resumed.refused + resumed.duplicate).toBe(ROWS)
      const stored = await sql<{ n: number }>`select count(*) as n from events`.execute(
        ctx.storage.db,
      )
      expect(Number(stored.rows[0]?.n)).toBe(ROWS - CANCELLED - NO_CUSTOMER)

      // Legitimate interest: analytics and first-party marketing, not consent-based recommendations.
      const rows = await sql<{ purposes: string; expires_at: string; occurred_at: string }>`
        select purposes, expires_at, occurred_at from events`.execute(ctx.storage.db)
      for (const row of rows.rows) {
        expect(row.purposes).toBe(',analytics.reporting,marketing.advertising.first_party,')
        expect(Date.parse(row.expires_at) - Date.parse(row.occurred_at)).toBe(730 * 86_400_000)
      }
      const [item] = await ctx.services.catalog.getItems(['82567'])
      expect(item).toMatchObject({
        title: 'AIRLINE LOUNGE,METAL SIGN',
        price: 2.1,
        currency: 'GBP',
      })

      const again = await importOrders(deps(), {
        file: FIXTURE,
        basis: 'legitimate_interest',
        actor,
      })
      expect(again.alreadyImported).toBe(true)
      const restarted = await importOrders(deps(), {
        file: FIXTURE,
        basis: 'legitimate_interest',
        jurisdiction: 'UK',
        restart: true,
        actor,
      })
      expect(restarted.duplicate).toBe(ROWS - CANCELLED - NO_CUSTOMER)
      expect(restarted.stored).toBe(0)
    })

    it('reads a gzipped file the same way, and keeps no customer reference', async () => {
      const gz = path.join(ctx.database.dir, 'orders.csv.gz')
      fs.writeFileSync(gz, gzipSync(fs.readFileSync(FIXTURE)))
      const summary = await importOrders(deps(), {
        file: gz,
        basis: 'legitimate_interest',
        jurisdiction: 'UK',
        actor,
      })
      // Same lines, same event ids: everything is already there.
      expect(summary.totalLines).toBe(ROWS)
      expect(summary.duplicate).toBe(ROWS - CANCELLED - NO_CUSTOMER)
      const subject = await ctx.services.identity.findSubjectId('17850')
      expect(subject).toMatch(/^sub_/)
      const owners = await sql<{ owner: string }>`select distinct owner from events`.execute(
        ctx.storage.db,
      )
      for (const { owner } of owners.rows) expect(owner).toMatch(/^sub_[a-z0-9]{24}$/)
    })
  })
}
