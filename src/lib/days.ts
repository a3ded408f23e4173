/**
 * Whether a string starting YYYY-MM-DD names a day of the calendar: `Date.parse` takes 2026-02-30 as
 * March 2nd, so a day from a query is checked by writing it back.
 */
export function isRealDay(value: string): boolean {
  const day = value.slice(0, 10)
  const ms = Date.parse(`${day}T00:00:00Z`)
  return !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 10) === day
}
