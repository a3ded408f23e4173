/**
 * The merchant's bounds, in one place: every price pricing sets (a suggestion made, one approved, one
 * applied automatically) passes `guardPrice`, and an approval is checked again with `allowedRange` at
 * the moment it is made. Pure functions, prices in the shop's currency rounded to cents, always inward
 * (a floor rounds up, a ceiling down), so a rounded price never leaves its bounds.
 */
import type { PricingRuleBody } from './pricing.js'

const EPS = 1e-9
export const roundCents = (x: number): number => Math.round(x * 100) / 100
const ceilCents = (x: number): number => Math.ceil(x * 100 - EPS) / 100
const floorCents = (x: number): number => Math.floor(x * 100 + EPS) / 100

/** What bounds one item's price today. */
export interface PriceGuard {
  rule: Pick<PricingRuleBody, 'floor' | 'ceiling' | 'maxDailyChange' | 'protectedPeriods'>
  /** The catalog price the floor and ceiling are fractions of. */
  listPrice: number
  /** The price in effect at 00:00 UTC today: the daily limit is measured from it. */
  dayStartPrice: number
}

export interface AllowedRange {
  low: number
  high: number
  /** Which rule each end comes from. */
  lowBy: 'floor' | 'daily_change'
  highBy: 'ceiling' | 'daily_change'
}

/**
 * The prices allowed today: within the floor and ceiling, and within `maxDailyChange` of the price at
 * the start of the day. When the two do not meet (the list price moved far), the daily limit wins and
 * the range is the one end of it nearest the bounds: prices walk back within bounds a day at a time.
 */
export function allowedRange(guard: PriceGuard): AllowedRange {
  const { rule, listPrice, dayStartPrice } = guard
  const floor = ceilCents(listPrice * rule.floor)
  const ceiling = floorCents(listPrice * rule.ceiling)
  const dayLow = ceilCents(dayStartPrice * (1 - rule.maxDailyChange))
  const dayHigh = floorCents(dayStartPrice * (1 + rule.maxDailyChange))
  const lowBy = floor >= dayLow ? 'floor' : 'daily_change'
  const highBy = ceiling <= dayHigh ? 'ceiling' : 'daily_change'
  const low = Math.max(floor, dayLow)
  const high = Math.min(ceiling, dayHigh)
  if (low <= high) return { low, high, lowBy, highBy }
  // Out of bounds by more than a day's change: as near the bounds as today allows.
  const edge = dayHigh < floor ? dayHigh : dayLow
  return { low: edge, high: edge, lowBy: 'daily_change', highBy: 'daily_change' }
}

/** The protected period covering `now`, if one does. */
export function protectedPeriodAt(
  rule: PriceGuard['rule'],
  now: Date,
): { reason: string; until: string } | undefined {
  const t = now.getTime()
  return rule.protectedPeriods.find((p) => Date.parse(p.from) <= t && t < Date.parse(p.until))
}

export type GuardOutcome =
  | { ok: true; price: number; limitedBy?: 'floor' | 'ceiling' | 'daily_change' }
  | { ok: false; reason: string }

/**
 * `target` brought within today's bounds, or the reason no price may be set now (a protected period).
 *
 * @example guardPrice(11.9, guard, now) // { ok: true, price: 10.5, limitedBy: 'daily_change' }
 */
export function guardPrice(target: number, guard: PriceGuard, now: Date): GuardOutcome {
  const period = protectedPeriodAt(guard.rule, now)
  if (period !== undefined)
    return { ok: false, reason: `protected period (${period.reason}) until ${period.until}` }
  const range = allowedRange(guard)
  const wanted = roundCents(target)
  if (wanted > range.high) return { ok: true, price: range.high, limitedBy: range.highBy }
  if (wanted < range.low) return { ok: true, price: range.low, limitedBy: range.lowBy }
  return { ok: true, price: wanted }
}

/** Whether `price` may be set now (what an approval checks again). */
export function isAllowed(price: number, guard: PriceGuard, now: Date): boolean {
  if (protectedPeriodAt(guard.rule, now) !== undefined) return false
  const range = allowedRange(guard)
  return price >= range.low - EPS && price <= range.high + EPS
}
