/**
 * `bench:erasure --data uci`: the whole UCI Online Retail shop put in through the HTTP API of a test
 * context (catalog, then per customer a consent, two in three, and their orders as purchase events,
 * shifted to end a minute before the context's clock), as `bench/lib/serve-seed.ts` seeds the serving
 * bench. The customer with the most orders always consents: they are the one erased.
 */
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { TestContext } from '../../test/helpers/test-context.js'
import { loadUci, rowsByCustomer, shiftToEndBefore } from './data.js'
import { putUciCatalog, send } from './uci-api.js'

export const UCI_FILE = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../shared/datasets/uci-online-retail/online_retail.csv.gz',
)

const PERSONAL = 'personalize.recommendations'
const BATCH = 1000

/** The erased customer: their reference, how many events they have and their items. */
export interface Heaviest {
  ref: string
  events: number
  items: string[]
}

/** Seeds every UCI customer into `ctx`; answers the one with the most orders. */
export async function seedUci(
  ctx: TestContext,
  noticeVersion: string,
  file: string,
  log: (message: string) => void,
): Promise<Heaviest> {
  const uci = loadUci(file)
  const shift = shiftToEndBefore(uci, ctx.clock.now().getTime())
  const customers = rowsByCustomer(uci)
  await putUciCatalog(ctx, uci.items)
  for (const [c, [customer, rows]] of customers.entries()) {
    const ref = `uci-${customer}`
    if (c % 3 !== 2) {
      await send(ctx, 'PUT', `/v1/subjects/${ref}/consents/${PERSONAL}`, {
        decision: 'granted',
        noticeVersion,
        jurisdiction: 'UK',
      })
    }
    for (let start = 0; start < rows.length; start += BATCH) {
      const events = rows.slice(start, start + BATCH).map((k, n) => ({
        id: `${ref}-${start + n}`,
        type: 'purchase',
        subject: ref,
        item: uci.items[k]!,
        timestamp: new Date(uci.times[k]! + shift).toISOString(),
      }))
      await send(ctx, 'POST', '/v1/events', { events })
    }
    if ((c + 1) % 1000 === 0) log(`  ${c + 1} of ${customers.length} customers seeded`)
  }
  const [customer, rows] = customers[0]!
  return {
    ref: `uci-${customer}`,
    events: rows.length,
    items: [...new Set(rows.map((k) => uci.items[k]!))],
  }
}
