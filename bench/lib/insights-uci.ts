/**
 * `bench:insights`: UCI Online Retail put into a real Candor database through the HTTP API of a test
 * context: the catalog, then per customer a consent to `analytics.reporting` (the example charter's
 * aggregate-analytics purpose, opt-in in the UK) and their orders as purchase events, shifted to end a
 * minute before the context's clock (inside the purpose's 395 days). And the exact answers, read with
 * plain SQL that shares nothing with the insights module but the week helper.
 */
import { sql } from 'kysely'
import { isoWeek } from '../../src/modules/insights/insights.plan.js'
import type { TestContext } from '../../test/helpers/test-context.js'
import { loadUci, rowsByCustomer, shiftToEndBefore } from './data.js'
import { putUciCatalog, send } from './uci-api.js'

const PURPOSE = 'analytics.reporting'
const BATCH = 1000

/** Seeds every UCI customer into `ctx`, all consenting to statistics; answers the events sent. */
export async function seedUciForInsights(
  ctx: TestContext,
  file: string,
  log: (message: string) => void,
): Promise<{ customers: number; events: number; items: number }> {
  const uci = loadUci(file)
  const shift = shiftToEndBefore(uci, ctx.clock.now().getTime())
  const customers = rowsByCustomer(uci)
  await putUciCatalog(ctx, uci.items)
  const version = (await ctx.request({ method: 'GET', url: '/v1/notice' })).json<{
    version: string
  }>().version
  let events = 0
  for (const [c, [customer, rows]] of customers.entries()) {
    const ref = `uci-${customer}`
    await send(ctx, 'PUT', `/v1/subjects/${ref}/consents/${PURPOSE}`, {
      decision: 'granted',
      noticeVersion: version,
      jurisdiction: 'UK',
    })
    for (let start = 0; start < rows.length; start += BATCH) {
      const batch = rows.slice(start, start + BATCH).map((k, n) => ({
        id: `${ref}-${start + n}`,
        type: 'purchase',
        subject: ref,
        item: uci.items[k]!,
        timestamp: new Date(uci.times[k]! + shift).toISOString(),
      }))
      const response = await send(ctx, 'POST', '/v1/events', { events: batch })
      const results = response.json<{ results: { status: string }[] }>().results
      const notStored = results.filter((r) => r.status !== 'stored').length
      if (notStored > 0) throw new Error(`${ref}: ${notStored} events not stored`)
      events += batch.length
    }
    if ((c + 1) % 1000 === 0) log(`  ${c + 1} of ${customers.length} customers seeded`)
  }
  return { customers: customers.length, events, items: new Set(uci.items).size }
}

/** Exact purchase counts per (item, ISO week) of the events stored for statistics, and the days. */
export interface ExactCounts {
  /** The `limit` best-selling items (most purchase events first). */
  items: string[]
  /** `JSON.stringify([item, week])` -> exact count. */
  cells: Map<string, number>
  from: string
  to: string
}

/** Plain SQL over the events table (SQLite and PostgreSQL): no contribution bounds, no noise. */
export async function exactWeeklyCounts(ctx: TestContext, limit: number): Promise<ExactCounts> {
  const db = ctx.storage.db
  const stored = sql`e.purposes like ${`%,${PURPOSE},%`} and e.type = 'purchase' and e.item is not null`
  const top = await sql<{ item: string; n: number }>`
    select e.item as item, count(*) as n from events e where ${stored}
    group by e.item order by count(*) desc, e.item limit ${limit}`.execute(db)
  const items = top.rows.map((r) => r.item)
  const byDay = await sql<{ item: string; day: string; n: number }>`
    select e.item as item, substr(coalesce(e.occurred_at, e.received_at), 1, 10) as day,
      count(*) as n
    from events e where ${stored} and e.item in (${sql.join(items)})
    group by 1, 2`.execute(db)
  const cells = new Map<string, number>()
  let from = '9999-12-31'
  let to = '0000-01-01'
  for (const row of byDay.rows) {
    const id = JSON.stringify([row.item, isoWeek(row.day)])
    cells.set(id, (cells.get(id) ?? 0) + Number(row.n))
    if (row.day < from) from = row.day
    if (row.day > to) to = row.day
  }
  return { items, cells, from, to }
}
