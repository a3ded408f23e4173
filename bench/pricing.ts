/**
 * `npm run bench:pricing`: a backtest of guarded dynamic pricing (issue 24) on UCI Online Retail.
 * Eight weekly runs over the last weeks of the data: each run sees only sales before it (cleaned as
 * the other benchmarks clean UCI), estimates elasticities (per item, else pooled over the whole shop:
 * UCI has no categories, so the shop is one category), and asks `suggestPrice` for every item at its
 * median price of the 90 days before, under one rule (floor 0.8, ceiling 1.2, 5% a day, stock not
 * known). It reports what the rules would have changed and why the rest was left alone, and the
 * revenue of the following week at the suggested prices under the estimated elasticity, with the
 * ends of each item's 95% interval. MODEL ESTIMATE: the buyers did not see these prices; the revenue
 * is what the estimated demand curve says, not an observation. Prints a table, writes JSON to
 * test-artifacts/bench-pricing.json.
 */
import fs from 'node:fs'
import path from 'node:path'
import { parseCsvLine, parseTimestamp, readText } from './lib/data.js'
import { UCI_FILE } from './lib/erasure-uci.js'
import {
  type DemandRow,
  type PriceObservation,
  estimateElasticity,
  suggestPrice,
} from '../src/modules/pricing/index.js'
import { groupDemand } from '../src/modules/pricing/pricing.inputs.js'

const DAY = 86_400_000
const RULE = { floor: 0.8, ceiling: 1.2, maxDailyChange: 0.05, protectedPeriods: [] }
const RUNS = 8

/** Cleaned UCI lines as item-day totals (units, revenue), plus every line's price for medians. */
function load(file: string): {
  rows: DemandRow[]
  sales: { item: string; t: number; price: number }[]
} {
  const lines = readText(file).split(/\r?\n/)
  const h = parseCsvLine(lines[0]!)
  const col = (n: string) => h.indexOf(n)
  const [ci, cs, cq, cd, cp, cc] = [
    'InvoiceNo',
    'StockCode',
    'Quantity',
    'InvoiceDate',
    'UnitPrice',
    'CustomerID',
  ].map(col)
  const byKey = new Map<string, DemandRow>()
  const sales: { item: string; t: number; price: number }[] = []
  for (let k = 1; k < lines.length; k++) {
    if (lines[k] === '') continue
    const f = parseCsvLine(lines[k]!)
    const qty = Number(f[cq!])
    const price = Number(f[cp!])
    const item = (f[cs!] ?? '').trim()
    if ((f[cc!] ?? '').trim() === '' || /^c/i.test(f[ci!] ?? '') || !(qty > 0) || !(price > 0))
      continue
    if (!/\d/.test(item)) continue
    const t = parseTimestamp(f[cd!] ?? '')
    const day = new Date(t).toISOString().slice(0, 10)
    const key = `${item} ${day}`
    let row = byKey.get(key)
    if (row === undefined)
      byKey.set(
        key,
        (row = {
          item,
          day,
          views: 0,
          carts: 0,
          purchases: 0,
          units: 0,
          pricedUnits: 0,
          revenue: 0,
        }),
      )
    row.purchases += 1
    row.units += qty
    row.pricedUnits += qty
    row.revenue += qty * price
    sales.push({ item, t, price })
  }
  return { rows: [...byKey.values()], sales }
}

/** A skip reason without its figures, to count them. */
function classify(reason: string): string {
  const kinds: [RegExp, string][] = [
    [/too few sales/, 'too few sales to see a trend'],
    [/steady/, 'demand steady (within 10%)'],
    [/unclear/, 'elasticity interval includes 0'],
    [/too few weeks/, 'too few weeks with sales for an elasticity'],
    [/hardly changed/, 'no price movement to estimate from'],
    [/held by|too small/, 'held at a bound or change too small'],
    [/stock/, 'stock'],
  ]
  return kinds.find(([re]) => re.test(reason))?.[1] ?? reason
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

interface RunResult {
  at: string
  items: number
  rises: number
  cuts: number
  skipped: Record<string, number>
  revenueActual: number
  revenueModel: number
  revenueLow: number
  revenueHigh: number
}

function backtestRun(
  rows: DemandRow[],
  sales: { item: string; t: number; price: number }[],
  at: number,
): RunResult {
  const from = new Date(at - 365 * DAY).toISOString().slice(0, 10)
  const today = new Date(at).toISOString().slice(0, 10)
  const next = new Date(at + 7 * DAY).toISOString().slice(0, 10)
  const inputs = groupDemand(rows.filter((r) => r.day >= from && r.day < today))
  const after = groupDemand(rows.filter((r) => r.day >= today && r.day < next))
  const all: PriceObservation[] = [...inputs.values()].flatMap((i) => i.weeks)
  const pooled = estimateElasticity([], all)
  const prices = new Map<string, number[]>()
  for (const s of sales) {
    if (s.t >= at || s.t < at - 90 * DAY) continue
    const list = prices.get(s.item)
    if (list === undefined) prices.set(s.item, [s.price])
    else list.push(s.price)
  }
  const out: RunResult = {
    at: today,
    items: 0,
    rises: 0,
    cuts: 0,
    skipped: {},
    revenueActual: 0,
    revenueModel: 0,
    revenueLow: 0,
    revenueHigh: 0,
  }
  for (const [item, own] of inputs) {
    const list = prices.get(item)
    if (list === undefined) continue
    out.items++
    const price = median(list)
    const ownE = estimateElasticity(own.weeks, [])
    const outcome = suggestPrice({
      now: new Date(at - 1),
      days: own.days,
      available: true,
      currentPrice: price,
      elasticity: ownE.ok ? ownE : pooled,
      guard: { rule: RULE, listPrice: price, dayStartPrice: price },
    })
    if (!outcome.ok) {
      const reason = classify(outcome.reason)
      out.skipped[reason] = (out.skipped[reason] ?? 0) + 1
      continue
    }
    if (outcome.price > price) out.rises++
    else out.cuts++
    // The following week's sales of this item, re-priced under the estimated demand curve.
    const week = after.get(item)?.days ?? []
    const units = week.reduce((a, d) => a + d.units, 0)
    if (units === 0) continue
    const paid = (after.get(item)?.weeks ?? []).reduce((a, w) => a + w.units * w.price, 0)
    const avg = paid / units
    const revenueAt = (e: number) => outcome.price * units * (outcome.price / avg) ** e
    out.revenueActual += paid
    out.revenueModel += revenueAt(outcome.elasticity.value)
    out.revenueLow += Math.min(
      revenueAt(outcome.elasticity.low),
      revenueAt(outcome.elasticity.high),
    )
    out.revenueHigh += Math.max(
      revenueAt(outcome.elasticity.low),
      revenueAt(outcome.elasticity.high),
    )
  }
  return out
}

function main(): void {
  const file = process.argv[2] ?? UCI_FILE
  const { rows, sales } = load(file)
  const last = sales.reduce((m, s) => Math.max(m, s.t), 0)
  const runs: RunResult[] = []
  for (let k = RUNS; k >= 1; k--)
    runs.push(backtestRun(rows, sales, Math.floor(last / DAY) * DAY - k * 7 * DAY))
  const pct = (a: number, b: number) => (b === 0 ? 'n/a' : `${(((a - b) / b) * 100).toFixed(1)}%`)
  console.log(
    'bench:pricing on UCI Online Retail: MODEL ESTIMATE (revenue under the estimated elasticity, not observed)',
  )
  console.log(
    'run         items  rises  cuts  skipped  revenue next week (actual -> model [95% interval ends])',
  )
  for (const r of runs) {
    const skipped = Object.values(r.skipped).reduce((a, b) => a + b, 0)
    console.log(
      `${r.at}  ${String(r.items).padStart(5)}  ${String(r.rises).padStart(5)}  ${String(r.cuts).padStart(4)}  ${String(skipped).padStart(7)}  ` +
        `${r.revenueActual.toFixed(0)} -> ${r.revenueModel.toFixed(0)} (${pct(r.revenueModel, r.revenueActual)}) [${pct(r.revenueLow, r.revenueActual)} .. ${pct(r.revenueHigh, r.revenueActual)}]`,
    )
  }
  const reasons: Record<string, number> = {}
  for (const r of runs)
    for (const [k, v] of Object.entries(r.skipped)) reasons[k] = (reasons[k] ?? 0) + v
  console.log('why items were left alone (all runs):')
  for (const [k, v] of Object.entries(reasons).sort((a, b) => b[1] - a[1]))
    console.log(`  ${String(v).padStart(6)}  ${k}`)
  const outFile = path.resolve('test-artifacts/bench-pricing.json')
  fs.mkdirSync(path.dirname(outFile), { recursive: true })
  fs.writeFileSync(outFile, JSON.stringify({ rule: RULE, runs, reasons }, null, 2))
  console.log(`wrote ${outFile}`)
}

main()
