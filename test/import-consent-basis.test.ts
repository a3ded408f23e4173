import path from 'node:path'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createManualClock } from '../src/lib/clock.js'
import { importOrders } from '../src/modules/events/events.import.js'
import { DIALECTS, type TestContext, createTestContext } from './helpers/test-context.js'

const FIXTURE = path.resolve('test/fixtures/uci-online-retail-sample.csv')
const actor = { kind: 'cli' as const, command: 'import orders' }
// Customer 17850 has 63 lines in the sample (some of them cancellations); the other customers have none
// of their own consent on record.
const GRANTED = '17850'

for (const dialect of DIALECTS) {
  describe(`import orders --basis consent on ${dialect}`, () => {
    let ctx: TestContext
    beforeAll(async () => {
      ctx = await createTestContext(dialect, { clock: createManualClock('2011-01-10T12:00:00Z') })
    })
    afterAll(async () => {
      await ctx?.close()
    })

    it('stores only the orders of customers whose ledger holds the grant: consent is not declared in bulk', async () => {
      const version = (await ctx.request({ method: 'GET', url: '/v1/notice' })).json<{
        version: string
      }>().version
      const granted = await ctx.request({
        method: 'PUT',
        url: `/v1/subjects/${GRANTED}/consents/personalize.recommendations`,
        as: 'admin',
        payload: {
          decision: 'granted',
          method: 'import',
          noticeVersion: version,
          jurisdiction: 'UK',
        },
      })
      expect(granted.statusCode, granted.body).toBe(200)
      const summary = await importOrders(
        {
          events: ctx.services.events,
          catalog: ctx.services.catalog,
          charter: ctx.services.charter,
        },
        { file: FIXTURE, basis: 'consent', jurisdiction: 'UK', actor },
      )
      expect(summary.completed).toBe(true)
      expect(summary.stored).toBeGreaterThan(0)
      expect(summary.reasons.no_consent).toBeGreaterThan(0)
      // Every stored purchase is the granted customer's; nobody else got a subject from the import.
      const subject = await ctx.services.identity.findSubjectId(GRANTED)
      const owners = await sql<{ owner: string }>`select distinct owner from events`.execute(
        ctx.storage.db,
      )
      expect(owners.rows.map((row) => row.owner)).toEqual([subject])
      expect(summary.stored).toBeLessThanOrEqual(63)
    })
  })
}
