import type { Db } from '../../storage/db.js'
import type { Offer } from './offers.js'

/** The offers table (migration 0027), read and written only here. */
export type OfferTables = {
  offers: {
    id: string
    purpose: string
    active_from: string | null
    active_until: string | null
    body: string
    created_at: string
    updated_at: string
  }
}

const t = (db: Db) => db.withTables<OfferTables>()

function fromRow(row: OfferTables['offers']): Offer {
  return {
    ...(JSON.parse(row.body) as Omit<Offer, 'createdAt' | 'updatedAt'>),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

/** Offers staff defined: no personal data (conditions, never lists of shoppers). */
export function createOfferRepository() {
  return {
    /** Inserts or replaces an offer by id (the creation time of a replaced one is kept). */
    async upsert(db: Db, offer: Offer): Promise<Offer> {
      const { createdAt, updatedAt, ...definition } = offer
      const row = await t(db)
        .insertInto('offers')
        .values({
          id: offer.id,
          purpose: offer.purpose,
          active_from: offer.schedule.from ?? null,
          active_until: offer.schedule.until ?? null,
          body: JSON.stringify(definition),
          created_at: createdAt,
          updated_at: updatedAt,
        })
        .onConflict((oc) =>
          oc.column('id').doUpdateSet((eb) => ({
            purpose: eb.ref('excluded.purpose'),
            active_from: eb.ref('excluded.active_from'),
            active_until: eb.ref('excluded.active_until'),
            body: eb.ref('excluded.body'),
            updated_at: eb.ref('excluded.updated_at'),
          })),
        )
        .returningAll()
        .executeTakeFirstOrThrow()
      return fromRow(row)
    },

    /** Every offer, by id. */
    async list(db: Db): Promise<Offer[]> {
      const rows = await t(db).selectFrom('offers').selectAll().orderBy('id').execute()
      return rows.map(fromRow)
    },

    /** Offers whose schedule includes `now` (activity and touchpoints are checked by the caller). */
    async listScheduled(db: Db, now: string): Promise<Offer[]> {
      const rows = await t(db)
        .selectFrom('offers')
        .selectAll()
        .where((eb) =>
          eb.and([
            eb.or([eb('active_from', 'is', null), eb('active_from', '<=', now)]),
            eb.or([eb('active_until', 'is', null), eb('active_until', '>', now)]),
          ]),
        )
        .orderBy('id')
        .execute()
      return rows.map(fromRow)
    },
  }
}
