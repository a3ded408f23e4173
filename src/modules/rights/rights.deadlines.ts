import type { Regime } from './rights.js'

/**
 * Deadlines. GDPR Art. 12(3): one month from receipt, extendable by two further months where necessary,
 * with the reasons given. CCPA (Cal. Civ. Code 1798.130(a)(2)): 45 days, extendable once by 45 days.
 */
export function regimeFor(jurisdiction: string): Regime {
  return jurisdiction === 'US-CA' ? 'ccpa' : 'gdpr'
}

/** Adds calendar months in UTC; a day that does not exist in the target month becomes its last day. */
export function addMonths(date: Date, months: number): Date {
  const result = new Date(date.getTime())
  const day = result.getUTCDate()
  result.setUTCDate(1)
  result.setUTCMonth(result.getUTCMonth() + months)
  const lastDay = new Date(
    Date.UTC(result.getUTCFullYear(), result.getUTCMonth() + 1, 0),
  ).getUTCDate()
  result.setUTCDate(Math.min(day, lastDay))
  return result
}

export function dueDate(regime: Regime, receivedAt: Date): Date {
  return regime === 'ccpa'
    ? new Date(receivedAt.getTime() + 45 * 86_400_000)
    : addMonths(receivedAt, 1)
}

/** The latest a deadline may be pushed to by one extension. */
export function extendedDueDate(regime: Regime, receivedAt: Date): Date {
  return regime === 'ccpa'
    ? new Date(receivedAt.getTime() + 90 * 86_400_000)
    : addMonths(receivedAt, 3)
}
