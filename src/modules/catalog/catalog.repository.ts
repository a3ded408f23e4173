import type { Db } from '../../storage/db.js'
import type { Item } from './catalog.js'

type ItemRow = {
  item_id: string
  title: string
  category_path: string
  price: number | null
  currency: string | null
  available: number
  stock: number | null
  special_category: string | null
  updated_at: string
}
type CatalogTables = { catalog_items: ItemRow }

function fromRow(row: ItemRow): Item {
  const item: Item = {
    id: row.item_id,
    title: row.title,
    category: JSON.parse(row.category_path) as string[],
    available: Number(row.available) === 1,
    updatedAt: row.updated_at,
  }
  if (row.price !== null) item.price = Number(row.price)
  if (row.currency !== null) item.currency = row.currency
  if (row.stock !== null) item.stock = Number(row.stock)
  if (row.special_category !== null) item.specialCategory = row.special_category
  return item
}

// 9 columns a row.
const CHUNK = 1000

export function createCatalogRepository() {
  const t = (db: Db) => db.withTables<CatalogTables>()
  return {
    async upsertMany(db: Db, items: readonly Item[]): Promise<void> {
      for (let start = 0; start < items.length; start += CHUNK) {
        const rows: ItemRow[] = items.slice(start, start + CHUNK).map((item) => ({
          item_id: item.id,
          title: item.title,
          category_path: JSON.stringify(item.category),
          price: item.price ?? null,
          currency: item.currency ?? null,
          available: item.available ? 1 : 0,
          stock: item.stock ?? null,
          special_category: item.specialCategory ?? null,
          updated_at: item.updatedAt,
        }))
        await t(db)
          .insertInto('catalog_items')
          .values(rows)
          .onConflict((oc) =>
            oc.column('item_id').doUpdateSet((eb) => ({
              title: eb.ref('excluded.title'),
              category_path: eb.ref('excluded.category_path'),
              price: eb.ref('excluded.price'),
              currency: eb.ref('excluded.currency'),
              available: eb.ref('excluded.available'),
              stock: eb.ref('excluded.stock'),
              special_category: eb.ref('excluded.special_category'),
              updated_at: eb.ref('excluded.updated_at'),
            })),
          )
          .execute()
      }
    },
    async findMany(db: Db, ids: readonly string[]): Promise<Item[]> {
      if (ids.length === 0) return []
      const rows = await t(db)
        .selectFrom('catalog_items')
        .selectAll()
        .where('item_id', 'in', ids)
        .execute()
      return rows.map(fromRow)
    },
    async listAfter(db: Db, afterId: string | undefined, limit: number): Promise<Item[]> {
      let query = t(db).selectFrom('catalog_items').selectAll()
      if (afterId !== undefined) query = query.where('item_id', '>', afterId)
      return (await query.orderBy('item_id').limit(limit).execute()).map(fromRow)
    },
    /** Items upserted at or after `since` (ISO time), through `catalog_items_updated` (0011). */
    async listUpdatedSince(db: Db, since: string): Promise<Item[]> {
      const rows = await t(db)
        .selectFrom('catalog_items')
        .selectAll()
        .where('updated_at', '>=', since)
        .orderBy('updated_at')
        .orderBy('item_id')
        .execute()
      return rows.map(fromRow)
    },
    async listSpecial(db: Db): Promise<{ id: string; specialCategory: string }[]> {
      const rows = await t(db)
        .selectFrom('catalog_items')
        .select(['item_id', 'special_category'])
        .where('special_category', 'is not', null)
        .execute()
      return rows.map((r) => ({ id: r.item_id, specialCategory: r.special_category ?? '' }))
    },
  }
}
