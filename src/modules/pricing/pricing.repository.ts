import { sql } from 'kysely'
import type { Db } from '../../storage/db.js'
import type { PriceSuggestion, PricingRule, SuggestionStatus } from './pricing.js'

/** The pricing tables (migration 0037), read and written only here. None holds a shopper. */
type PricingTables = {
  pricing_rules: { category: string; body: string; updated_at: string }
  pricing_prices: {
    item_id: string
    id: string
    set_at: string
    price: number
    source: string
    suggestion_id: string | null
  }
  pricing_suggestions: {
    id: string
    item_id: string
    category: string
    status: string
    body: string
    created_at: string
    decided_at: string | null
  }
}

const t = (db: Db) => db.withTables<PricingTables>()

/** A price set by pricing. */
export interface SetPrice {
  item: string
  id: string
  setAt: string
  price: number
  source: 'approved' | 'automatic'
  suggestionId?: string
}

function priceOf(row: PricingTables['pricing_prices']): SetPrice {
  return {
    item: row.item_id,
    id: row.id,
    setAt: row.set_at,
    price: Number(row.price),
    source: row.source as SetPrice['source'],
    ...(row.suggestion_id === null ? {} : { suggestionId: row.suggestion_id }),
  }
}

function suggestionOf(row: PricingTables['pricing_suggestions']): PriceSuggestion {
  return { ...(JSON.parse(row.body) as PriceSuggestion), status: row.status as SuggestionStatus }
}

export function createPricingRepository() {
  return {
    async upsertRule(db: Db, rule: PricingRule): Promise<void> {
      const { category, updatedAt, ...body } = rule
      await t(db)
        .insertInto('pricing_rules')
        .values({ category, body: JSON.stringify(body), updated_at: updatedAt })
        .onConflict((oc) =>
          oc.column('category').doUpdateSet((eb) => ({
            body: eb.ref('excluded.body'),
            updated_at: eb.ref('excluded.updated_at'),
          })),
        )
        .execute()
    },

    async listRules(db: Db): Promise<PricingRule[]> {
      const rows = await t(db).selectFrom('pricing_rules').selectAll().orderBy('category').execute()
      return rows.map((r) => ({
        ...(JSON.parse(r.body) as Omit<PricingRule, 'category' | 'updatedAt'>),
        category: r.category,
        updatedAt: r.updated_at,
      }))
    },

    /** The newest price set per item (all items, or those named), by item. */
    async latestPrices(db: Db, items?: readonly string[]): Promise<Map<string, SetPrice>> {
      if (items !== undefined && items.length === 0) return new Map()
      let query = t(db)
        .selectFrom('pricing_prices as p')
        .selectAll('p')
        .where(
          'p.id',
          '=',
          sql<string>`(select max(q.id) from pricing_prices q where q.item_id = p.item_id)`,
        )
      if (items !== undefined) query = query.where('p.item_id', 'in', items)
      const rows = await query.execute()
      return new Map(rows.map((r) => [r.item_id, priceOf(r)]))
    },

    /** The newest price set before `before` (ISO time) per item: the price at the start of a day. */
    async pricesBefore(
      db: Db,
      items: readonly string[],
      before: string,
    ): Promise<Map<string, SetPrice>> {
      if (items.length === 0) return new Map()
      const rows = await t(db)
        .selectFrom('pricing_prices as p')
        .selectAll('p')
        .where('p.item_id', 'in', items)
        .where(
          'p.id',
          '=',
          sql<string>`(select max(q.id) from pricing_prices q where q.item_id = p.item_id and q.set_at < ${before})`,
        )
        .execute()
      return new Map(rows.map((r) => [r.item_id, priceOf(r)]))
    },

    async insertPrice(db: Db, price: SetPrice): Promise<void> {
      await t(db)
        .insertInto('pricing_prices')
        .values({
          item_id: price.item,
          id: price.id,
          set_at: price.setAt,
          price: price.price,
          source: price.source,
          suggestion_id: price.suggestionId ?? null,
        })
        .execute()
    },

    async insertSuggestion(db: Db, s: PriceSuggestion): Promise<void> {
      await t(db)
        .insertInto('pricing_suggestions')
        .values({
          id: s.id,
          item_id: s.item,
          category: s.category,
          status: s.status,
          body: JSON.stringify(s),
          created_at: s.createdAt,
          decided_at: s.decidedAt ?? null,
        })
        .execute()
    },

    /** Rewrites a suggestion (its decision). */
    async updateSuggestion(db: Db, s: PriceSuggestion): Promise<void> {
      await t(db)
        .updateTable('pricing_suggestions')
        .set({ status: s.status, body: JSON.stringify(s), decided_at: s.decidedAt ?? null })
        .where('id', '=', s.id)
        .execute()
    },

    /** Pending suggestions for these items become `superseded` (a newer run replaces them). */
    async supersedePending(db: Db, items: readonly string[], at: string): Promise<number> {
      if (items.length === 0) return 0
      const rows = await t(db)
        .selectFrom('pricing_suggestions')
        .selectAll()
        .where('status', '=', 'pending')
        .where('item_id', 'in', items)
        .execute()
      for (const row of rows) {
        const s = suggestionOf(row)
        await this.updateSuggestion(db, { ...s, status: 'superseded', decidedAt: at })
      }
      return rows.length
    },

    async findSuggestion(db: Db, id: string): Promise<PriceSuggestion | undefined> {
      const row = await t(db)
        .selectFrom('pricing_suggestions')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirst()
      return row === undefined ? undefined : suggestionOf(row)
    },

    /** The newest suggestions first (at most `limit`), of one status or all. */
    async listSuggestions(
      db: Db,
      status: SuggestionStatus | undefined,
      limit: number,
    ): Promise<PriceSuggestion[]> {
      let query = t(db).selectFrom('pricing_suggestions').selectAll()
      if (status !== undefined) query = query.where('status', '=', status)
      const rows = await query
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit)
        .execute()
      return rows.map(suggestionOf)
    },
  }
}
