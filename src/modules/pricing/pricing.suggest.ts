/**
 * One item's price suggestion from aggregate demand, stock and elasticity, within the rules. Pure: the
 * service reads the inputs and stores what comes out. Nothing here can depend on a shopper: the inputs
 * are per-item totals over every shopper together.
 */
import type { DemandEvidence, Elasticity } from './pricing.js'
import type { ElasticityOutcome } from './pricing.elasticity.js'
import { type PriceGuard, guardPrice, roundCents } from './pricing.rules.js'

/** One item's totals on one day (UTC), every shopper together. */
export interface DemandDay {
  day: string
  views: number
  units: number
}

export const RECENT_DAYS = 7
export const BASELINE_DAYS = 28
/** Fewest units bought over the baseline weeks for a trend to mean anything. */
export const MIN_BASELINE_UNITS = 8
/** A change of demand smaller than this (either way) suggests nothing. */
export const STEADY_BAND = 0.1
/** With stock known: raise only when it lasts fewer days than this; cut only when more than `SHORT`. */
export const PLENTY_COVER_DAYS = 90
export const SHORT_COVER_DAYS = 14
/** A suggested move of less than 0.5% is not worth a change. */
const MIN_MOVE = 0.005

export interface SuggestInput {
  now: Date
  /** The item's demand days within the last `RECENT_DAYS + BASELINE_DAYS` days. */
  days: readonly DemandDay[]
  available: boolean
  stock?: number
  currentPrice: number
  elasticity: ElasticityOutcome
  guard: PriceGuard
}

export type SuggestOutcome =
  | {
      ok: true
      price: number
      limitedBy?: 'floor' | 'ceiling' | 'daily_change'
      demand: DemandEvidence
      elasticity: Elasticity
      explanation: string
    }
  | { ok: false; reason: string }

const DAY_MS = 86_400_000
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10)
const pct = (x: number) => `${Math.round(x * 100)}%`
const fmt = (x: number) => (Math.round(x * 100) / 100).toString()

/** Units and views in the last 7 days and per 7 days over the 28 before, and the stock's cover. */
export function demandEvidence(
  days: readonly DemandDay[],
  now: Date,
  stock: number | undefined,
): DemandEvidence {
  const today = now.getTime()
  const recentFrom = dayOf(today - (RECENT_DAYS - 1) * DAY_MS)
  const baselineFrom = dayOf(today - (RECENT_DAYS + BASELINE_DAYS - 1) * DAY_MS)
  const todayDay = dayOf(today)
  let recentUnits = 0
  let baseUnits = 0
  let recentViews = 0
  let baseViews = 0
  for (const d of days) {
    if (d.day > todayDay || d.day < baselineFrom) continue
    if (d.day >= recentFrom) {
      recentUnits += d.units
      recentViews += d.views
    } else {
      baseUnits += d.units
      baseViews += d.views
    }
  }
  const weeks = BASELINE_DAYS / RECENT_DAYS
  const baselineUnits = baseUnits / weeks
  const evidence: DemandEvidence = {
    recentUnits,
    baselineUnits,
    change: baselineUnits > 0 ? recentUnits / baselineUnits - 1 : 0,
    recentViews,
    baselineViews: baseViews / weeks,
  }
  if (stock !== undefined) {
    evidence.stock = stock
    const perDay = recentUnits / RECENT_DAYS
    if (perDay > 0) evidence.coverDays = Math.round((stock / perDay) * 10) / 10
  }
  return evidence
}

function describeDemand(d: DemandEvidence): string {
  const way = d.change >= 0 ? 'up' : 'down'
  let text = `demand ${way} ${pct(Math.abs(d.change))} in 7 days (${fmt(d.recentUnits)} units vs ${fmt(d.baselineUnits)} a week before)`
  if (d.stock !== undefined) text += `, ${d.stock} left in stock`
  if (d.coverDays !== undefined) text += ` (${fmt(d.coverDays)} days at this pace)`
  return text
}

function describeElasticity(e: Elasticity): string {
  return `elasticity ${fmt(e.value)} (95% interval ${fmt(e.low)} to ${fmt(e.high)}, ${e.scope === 'item' ? 'this item' : 'its category'})`
}

/** The reason demand and stock suggest nothing, or undefined when they suggest a move. */
function stillReason(input: SuggestInput, d: DemandEvidence): string | undefined {
  if (!input.available || input.stock === 0) return 'out of stock: the price is left as it is'
  if (d.baselineUnits * (BASELINE_DAYS / RECENT_DAYS) < MIN_BASELINE_UNITS)
    return `too few sales in the weeks before to see a trend (${fmt(d.baselineUnits * 4)} units in 28 days, ${MIN_BASELINE_UNITS} needed)`
  if (Math.abs(d.change) < STEADY_BAND) return `${describeDemand(d)}: steady, no change`
  if (d.change > 0 && d.coverDays !== undefined && d.coverDays >= PLENTY_COVER_DAYS)
    return `${describeDemand(d)}: stock is plentiful, no rise`
  if (d.change < 0 && d.coverDays !== undefined && d.coverDays < SHORT_COVER_DAYS)
    return `${describeDemand(d)}: stock is short, no cut`
  return undefined
}

/**
 * The price that would bring demand back to its usual pace under the estimated elasticity
 * (units ~ price^e, so price x (1 + change)^(1/|e|)), within the rules; or why there is none.
 *
 * @example suggestPrice({ now, days, available: true, stock: 12, currentPrice: 10, elasticity, guard })
 */
export function suggestPrice(input: SuggestInput): SuggestOutcome {
  const demand = demandEvidence(input.days, input.now, input.stock)
  const still = stillReason(input, demand)
  if (still !== undefined) return { ok: false, reason: still }
  if (!input.elasticity.ok) return { ok: false, reason: input.elasticity.reason }
  const e = input.elasticity.elasticity
  if (e.high >= 0)
    return {
      ok: false,
      reason: `how buyers react to price is unclear: ${describeElasticity(e)} includes no reaction`,
    }
  const ratio = Math.min(2, Math.max(0.5, (1 + demand.change) ** (1 / Math.abs(e.value))))
  const guarded = guardPrice(input.currentPrice * ratio, input.guard, input.now)
  if (!guarded.ok) return { ok: false, reason: guarded.reason }
  const move = guarded.price / input.currentPrice - 1
  if (Math.abs(move) < MIN_MOVE) {
    const why =
      guarded.limitedBy === undefined
        ? 'change too small'
        : `held by the ${guarded.limitedBy.replace('_', ' ')} rule`
    return { ok: false, reason: `${describeDemand(demand)}: ${why}` }
  }
  const sign = move >= 0 ? '+' : '-'
  const limit =
    guarded.limitedBy === undefined ? '' : ` (${guarded.limitedBy.replace('_', ' ')} limit)`
  const explanation =
    `${describeDemand(demand)}; ${describeElasticity(e)}; ` +
    `${sign}${(Math.abs(move) * 100).toFixed(1)}% to ${roundCents(guarded.price).toFixed(2)}${limit}`
  return {
    ok: true,
    price: guarded.price,
    ...(guarded.limitedBy === undefined ? {} : { limitedBy: guarded.limitedBy }),
    demand,
    elasticity: e,
    explanation,
  }
}
