/**
 * Price elasticity from the shop's own sales: a log-log least-squares regression of units sold on the
 * price paid, ln(units) = a + e ln(price), over item-weeks with sales. Per item when the item's own
 * price moved enough and the estimate is tight; else pooled over its category with a fixed effect per
 * item (each item's logs centred on its own means, so only changes within an item count); else none.
 * Pure functions: no I/O.
 *
 * Uncertainty: the slope's standard error from the residuals (classical OLS, weeks taken as
 * independent), and a 95% interval with Student's t. Weeks without sales cannot enter a log and are
 * left out, and a price cut is often chosen when demand is already moving, so the estimate is a
 * correlation in the shop's history, not an experiment: it is reported as a model estimate.
 */
import type { Elasticity } from './pricing.js'

/** One item's sales in one period: units bought and the average price paid. */
export interface PriceObservation {
  item: string
  units: number
  price: number
}

/** Fewest item-weeks for an item's own estimate, and fewest for a category's pooled one. */
export const MIN_ITEM_OBSERVATIONS = 8
export const MIN_POOLED_OBSERVATIONS = 20
/** The least spread of ln(price) (standard deviation) that shows a price change: about 3%. */
export const MIN_LOG_PRICE_SD = 0.03
/** An item's own estimate is used only when its standard error is at most this. */
export const MAX_ITEM_STANDARD_ERROR = 0.5

const ITEM_METHOD = 'OLS of ln(units) on ln(price), this item, weekly'
const POOLED_METHOD =
  'OLS of ln(units) on ln(price), category pooled with item fixed effects, weekly'

/** The 0.975 quantile of Student's t with `df` degrees of freedom (Cornish-Fisher, df >= 1). */
export function tQuantile975(df: number): number {
  const z = 1.959964
  if (df <= 1) return 12.706
  if (df === 2) return 4.303
  const z3 = z ** 3
  const z5 = z ** 5
  return z + (z3 + z) / (4 * df) + (5 * z5 + 16 * z3 + 3 * z) / (96 * df * df)
}

interface Centered {
  sxx: number
  sxy: number
  syy: number
  n: number
  groups: number
}

/** Sums of squares of logs centred on each item's own means. */
function centre(observations: readonly PriceObservation[]): Centered {
  const byItem = new Map<string, { x: number[]; y: number[] }>()
  for (const o of observations) {
    if (!(o.units > 0) || !(o.price > 0)) continue
    let entry = byItem.get(o.item)
    if (entry === undefined) byItem.set(o.item, (entry = { x: [], y: [] }))
    entry.x.push(Math.log(o.price))
    entry.y.push(Math.log(o.units))
  }
  const out: Centered = { sxx: 0, sxy: 0, syy: 0, n: 0, groups: 0 }
  for (const { x, y } of byItem.values()) {
    if (x.length < 2) continue
    const mx = x.reduce((a, b) => a + b, 0) / x.length
    const my = y.reduce((a, b) => a + b, 0) / y.length
    for (let i = 0; i < x.length; i++) {
      const dx = x[i]! - mx
      const dy = y[i]! - my
      out.sxx += dx * dx
      out.sxy += dx * dy
      out.syy += dy * dy
    }
    out.n += x.length
    out.groups += 1
  }
  return out
}

/** The slope, its standard error and interval from centred sums; undefined when it cannot be had. */
function fit(c: Centered, scope: Elasticity['scope']): Elasticity | undefined {
  const df = c.n - c.groups - 1
  if (df < 1 || c.sxx <= 0) return undefined
  if (Math.sqrt(c.sxx / c.n) < MIN_LOG_PRICE_SD) return undefined
  const slope = c.sxy / c.sxx
  const rss = Math.max(0, c.syy - slope * c.sxy)
  const standardError = Math.sqrt(rss / df / c.sxx)
  const half = tQuantile975(df) * standardError
  return {
    value: slope,
    standardError,
    low: slope - half,
    high: slope + half,
    scope,
    observations: c.n,
    method: scope === 'item' ? ITEM_METHOD : POOLED_METHOD,
  }
}

/** Why no elasticity could be had, in words staff read. */
export type ElasticityOutcome = { ok: true; elasticity: Elasticity } | { ok: false; reason: string }

/**
 * The elasticity for `item`: its own when it has enough weeks, price movement and a standard error
 * within `MAX_ITEM_STANDARD_ERROR`; else its category's pooled one (`category` = every observation of
 * the items in the item's category, its own included); else the reason there is none.
 *
 * @example estimateElasticity('85123A', own, sameCategory) // { ok: true, elasticity: { value: -1.8, ... } }
 */
export function estimateElasticity(
  own: readonly PriceObservation[],
  category: readonly PriceObservation[],
): ElasticityOutcome {
  const ownSales = own.filter((o) => o.units > 0 && o.price > 0)
  if (ownSales.length >= MIN_ITEM_OBSERVATIONS) {
    const estimate = fit(centre(ownSales), 'item')
    if (estimate !== undefined && estimate.standardError <= MAX_ITEM_STANDARD_ERROR)
      return { ok: true, elasticity: estimate }
  }
  const pooled = centre(category)
  if (pooled.n < MIN_POOLED_OBSERVATIONS)
    return {
      ok: false,
      reason: `too few weeks with sales to estimate how buyers react to price (${pooled.n} in the category, ${MIN_POOLED_OBSERVATIONS} needed)`,
    }
  const estimate = fit(pooled, 'category')
  if (estimate === undefined)
    return {
      ok: false,
      reason: 'prices in the category hardly changed, so how buyers react to price cannot be seen',
    }
  return { ok: true, elasticity: estimate }
}
