/**
 * The aggregate demand rows, reshaped for the engine: per item, its demand days (for the trend) and
 * its weekly price observations (for the elasticity). Pure.
 */
import type { PriceObservation } from './pricing.elasticity.js'
import type { DemandDay } from './pricing.suggest.js'

/**
 * One item's totals on one day over every shopper together, as the events module counts them
 * (`readItemDemand`). Declared here, not imported: pricing reaches no module that knows a shopper.
 */
export interface DemandRow {
  item: string
  day: string
  views: number
  carts: number
  purchases: number
  units: number
  pricedUnits: number
  revenue: number
}

/** Where demand comes from: totals per item and day over `[from, to)` (ISO times). */
export type DemandSource = (from: string, to: string) => Promise<readonly DemandRow[]>

const WEEK_MS = 7 * 86_400_000

export interface ItemInputs {
  days: DemandDay[]
  weeks: PriceObservation[]
}

/** Groups rows by item: days as they come, weeks (7-day blocks since 1970) with units and the average price. */
export function groupDemand(rows: readonly DemandRow[]): Map<string, ItemInputs> {
  const out = new Map<string, ItemInputs>()
  const weekly = new Map<string, Map<number, { units: number; revenue: number }>>()
  for (const row of rows) {
    let entry = out.get(row.item)
    if (entry === undefined) out.set(row.item, (entry = { days: [], weeks: [] }))
    entry.days.push({ day: row.day, views: row.views, units: row.units })
    if (row.pricedUnits <= 0) continue
    const week = Math.floor(Date.parse(`${row.day}T00:00:00Z`) / WEEK_MS)
    let weeks = weekly.get(row.item)
    if (weeks === undefined)
      weekly.set(row.item, (weeks = new Map<number, { units: number; revenue: number }>()))
    const w = weeks.get(week) ?? { units: 0, revenue: 0 }
    w.units += row.pricedUnits
    w.revenue += row.revenue
    weeks.set(week, w)
  }
  for (const [item, weeks] of weekly) {
    const entry = out.get(item)!
    for (const w of weeks.values())
      if (w.units > 0 && w.revenue > 0)
        entry.weeks.push({ item, units: w.units, price: w.revenue / w.units })
  }
  return out
}
