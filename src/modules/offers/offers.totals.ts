/**
 * Per-offer totals (issue 21): how often each offer was shown and clicked, per touchpoint and UTC day
 * (table `offer_totals`, migration 0044), and how often shoppers said "not this" to it (the recommend
 * module's feedback kept now). Counts only: nothing here names a shopper or an answer.
 */
import { sql } from 'kysely'
import type { Db } from '../../storage/db.js'

type OfferTotalsTables = {
  offer_totals: {
    offer_id: string
    touchpoint: string
    day: string
    shown: number | string
    clicked: number | string
  }
}

/** The figures of one offer over the days asked. */
export interface OfferTotals {
  offer: string
  shown: number
  clicked: number
  notThis: number
  /** Per UTC day (YYYY-MM-DD), oldest first: only days with something counted. */
  days: { day: string; shown: number; clicked: number; notThis: number }[]
  /** Shown and clicked per touchpoint. */
  touchpoints: { touchpoint: string; shown: number; clicked: number }[]
}

const t = (db: Db) => db.withTables<OfferTotalsTables>()

/** The table's SQL: add to a day's count (one statement, safe under concurrent writers), and read. */
export function createOfferTotalsRepository() {
  return {
    async add(
      db: Db,
      row: { offer: string; touchpoint: string; day: string; shown: number; clicked: number },
    ): Promise<void> {
      await t(db)
        .insertInto('offer_totals')
        .values({
          offer_id: row.offer,
          touchpoint: row.touchpoint,
          day: row.day,
          shown: row.shown,
          clicked: row.clicked,
        })
        .onConflict((oc) =>
          oc.columns(['offer_id', 'touchpoint', 'day']).doUpdateSet({
            shown: sql`offer_totals.shown + excluded.shown`,
            clicked: sql`offer_totals.clicked + excluded.clicked`,
          }),
        )
        .execute()
    },

    async list(
      db: Db,
      fromDay: string,
    ): Promise<
      { offer: string; touchpoint: string; day: string; shown: number; clicked: number }[]
    > {
      const rows = await t(db)
        .selectFrom('offer_totals')
        .selectAll()
        .where('day', '>=', fromDay)
        .orderBy('day')
        .execute()
      return rows.map((r) => ({
        offer: r.offer_id,
        touchpoint: r.touchpoint,
        day: r.day,
        shown: Number(r.shown),
        clicked: Number(r.clicked),
      }))
    },
  }
}

/**
 * Folds the stored rows and the "not this" counts into one entry per offer (every offer defined, in
 * `offerIds` order, with zeros where nothing was counted; an offer no longer defined but counted is
 * listed after them).
 */
export function foldTotals(
  offerIds: readonly string[],
  rows: readonly {
    offer: string
    touchpoint: string
    day: string
    shown: number
    clicked: number
  }[],
  notThis: readonly { offer: string; day: string; count: number }[],
): OfferTotals[] {
  const byOffer = new Map<string, OfferTotals>()
  const entry = (offer: string) => {
    let e = byOffer.get(offer)
    if (e === undefined)
      byOffer.set(
        offer,
        (e = { offer, shown: 0, clicked: 0, notThis: 0, days: [], touchpoints: [] }),
      )
    return e
  }
  const dayOf = (e: OfferTotals, day: string) => {
    let d = e.days.find((x) => x.day === day)
    if (d === undefined) e.days.push((d = { day, shown: 0, clicked: 0, notThis: 0 }))
    return d
  }
  for (const id of offerIds) entry(id)
  for (const r of rows) {
    const e = entry(r.offer)
    e.shown += r.shown
    e.clicked += r.clicked
    const d = dayOf(e, r.day)
    d.shown += r.shown
    d.clicked += r.clicked
    let tp = e.touchpoints.find((x) => x.touchpoint === r.touchpoint)
    if (tp === undefined)
      e.touchpoints.push((tp = { touchpoint: r.touchpoint, shown: 0, clicked: 0 }))
    tp.shown += r.shown
    tp.clicked += r.clicked
  }
  for (const n of notThis) {
    const e = entry(n.offer)
    e.notThis += n.count
    dayOf(e, n.day).notThis += n.count
  }
  for (const e of byOffer.values()) e.days.sort((a, b) => a.day.localeCompare(b.day))
  return [...byOffer.values()]
}
