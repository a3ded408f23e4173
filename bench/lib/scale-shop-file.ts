/**
 * `bench:scale`'s shop as an order file in UCI Online Retail's own columns, which `candor import orders`
 * reads: UCI's cleaned orders (BENCHMARKS.md section 1), every customer cloned `scale` times
 * (`<id>-x<copy>`), times shifted so that the last order was a minute ago, and the catalog growing with
 * the shop: copy c buys variant `c mod ceil(scale / 4)` of each item (`<code>v<variant>`, variant 0 the
 * code itself).
 */
import fs from 'node:fs'
import { loadUci, rowsByCustomer, shiftToEndBefore } from './data.js'

/** What the file holds; `heaviest` is the customer with the most orders (copy 0, always consenting). */
export interface ScaleShop {
  customers: number
  rows: number
  items: number
  /** Customer references, the consenting ones (two in three) first marked. */
  refs: { ref: string; consents: boolean }[]
  heaviest: string
}

const pad = (n: number) => String(n).padStart(2, '0')

/** `YYYY-MM-DD HH:MM:SS` (UTC), as `candor import orders` reads it. */
function orderDate(ms: number): string {
  const d = new Date(ms)
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`
}

/** Writes the shop of `scale` copies to `file` (plain CSV); answers what it holds. */
export function writeScaleShop(data: string, scale: number, file: string): ScaleShop {
  const uci = loadUci(data)
  const shift = shiftToEndBefore(uci, Date.now())
  // Most orders first, so that the heaviest customer is the first and consents (c % 3 === 0).
  const customers = rowsByCustomer(uci)
  const variants = Math.ceil(scale / 4)
  const fd = fs.openSync(file, 'w')
  const items = new Set<string>()
  const refs: ScaleShop['refs'] = []
  let rows = 0
  try {
    fs.writeSync(fd, 'InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID\n')
    for (let copy = 0; copy < scale; copy++) {
      const variant = copy % variants
      let lines: string[] = []
      for (const [c, [customer, orders]] of customers.entries()) {
        const ref = `${customer}-x${copy}`
        refs.push({ ref, consents: c % 3 !== 2 })
        for (const k of orders) {
          const code = variant === 0 ? uci.items[k]! : `${uci.items[k]!}v${variant}`
          items.add(code)
          lines.push(
            `${copy}-${k},${code},Item ${code},1,${orderDate(uci.times[k]! + shift)},1.00,${ref}`,
          )
          rows++
        }
        if (lines.length >= 10_000) {
          fs.writeSync(fd, `${lines.join('\n')}\n`)
          lines = []
        }
      }
      if (lines.length > 0) fs.writeSync(fd, `${lines.join('\n')}\n`)
    }
  } finally {
    fs.closeSync(fd)
  }
  return {
    customers: refs.length,
    rows,
    items: items.size,
    refs,
    heaviest: `${customers[0]![0]}-x0`,
  }
}
