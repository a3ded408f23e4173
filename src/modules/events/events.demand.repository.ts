/**
 * Aggregate demand per item and day, for modules that must never see a person (pricing, issue 24):
 * views, baskets and purchases counted over every owner together, units and revenue summed. What
 * leaves here has no owner, no event id and no session: one row per (item, day, type).
 *
 * It reads only events stored for the purposes the caller names (the charter's `aggregateAnalytics`
 * purposes: the shopper allowed counting), unexpired at `now`, happened in `[from, to)`.
 */
import { sql } from 'kysely'
import type { Db } from '../../storage/db.js'

/** One item's demand on one day (UTC). */
export interface ItemDemandDay {
  item: string
  /** `YYYY-MM-DD`, UTC, of when the events happened. */
  day: string
  views: number
  carts: number
  purchases: number
  /** Units bought (a purchase without a quantity counts one). */
  units: number
  /** Units bought with a price, and what they cost: the average price paid is `revenue / pricedUnits`. */
  pricedUnits: number
  revenue: number
}

/** LIKE pattern for `,purpose,` in the comma-framed purpose list, `_` and `%` escaped. */
function purposePattern(purpose: string): string {
  return `%,${purpose.replace(/[\\%_]/g, (c) => `\\${c}`)},%`
}

export interface DemandSelection {
  purposes: readonly string[]
  /** Inclusive ISO time. */
  from: string
  /** Exclusive ISO time. */
  to: string
  now: string
}

/** Reads the demand rows: the database groups and sums, so one row per item, day and type arrives. */
export async function readItemDemand(db: Db, selection: DemandSelection): Promise<ItemDemandDay[]> {
  if (selection.purposes.length === 0) return []
  const happened = sql`coalesce(occurred_at, received_at)`
  const unitsOf = sql`case when quantity is null then 1 when quantity > 0 then quantity else 0 end`
  const purposes = sql.join(
    selection.purposes.map((p) => sql`purposes like ${purposePattern(p)} escape '\\'`),
    sql` or `,
  )
  const { rows } = await sql<{
    item: string
    day: string
    type: string
    n: number | string
    units: number | string | null
    priced_units: number | string | null
    revenue: number | string | null
  }>`
    select item, substr(${happened}, 1, 10) as day, type, count(*) as n,
      sum(${unitsOf}) as units,
      sum(case when price is null then 0 else ${unitsOf} end) as priced_units,
      sum(case when price is null then 0 else ${unitsOf} * price end) as revenue
    from events
    where item is not null and type in ('view', 'cart', 'purchase')
      and expires_at > ${selection.now}
      and ${happened} >= ${selection.from} and ${happened} < ${selection.to}
      and (${purposes})
    group by item, substr(${happened}, 1, 10), type
    order by item, day`.execute(db)
  const byKey = new Map<string, ItemDemandDay>()
  for (const row of rows) {
    const key = `${row.item}\u0000${row.day}`
    let day = byKey.get(key)
    if (day === undefined) {
      day = {
        item: row.item,
        day: row.day,
        views: 0,
        carts: 0,
        purchases: 0,
        units: 0,
        pricedUnits: 0,
        revenue: 0,
      }
      byKey.set(key, day)
    }
    const n = Number(row.n)
    if (row.type === 'view') day.views += n
    else if (row.type === 'cart') day.carts += n
    else {
      day.purchases += n
      day.units += Number(row.units ?? 0)
      day.pricedUnits += Number(row.priced_units ?? 0)
      day.revenue += Number(row.revenue ?? 0)
    }
  }
  return [...byKey.values()]
}
