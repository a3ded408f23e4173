import type { Migration } from 'kysely'
import type { MigrationDb } from './index.js'

/**
 * Guarded dynamic pricing (issue 24, `src/modules/pricing/`) and a stock level in the catalog. No
 * table here holds anything about a shopper: rules per category, the price in effect per item (with
 * its history, which the daily-change limit reads) and the suggestions staff approve or reject.
 * - `catalog_items.stock`: units in stock as the shop reports them (null: not reported).
 * - `pricing_rules`: per top-level category, the floor and ceiling (as fractions of the list price),
 *   the largest change a day, protected periods and whether suggestions apply on their own.
 * - `pricing_prices`: every price set (append-only); the newest per item is the one served.
 * - `pricing_suggestions`: what the rules suggested, why (the explanation and its evidence), and what
 *   staff decided.
 */
export const migration0037Pricing: Migration = {
  async up(db: MigrationDb) {
    await db.schema.alterTable('catalog_items').addColumn('stock', 'integer').execute()
    await db.schema
      .createTable('pricing_rules')
      .addColumn('category', 'varchar(100)', (c) => c.primaryKey())
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
      .execute()
    await db.schema
      .createTable('pricing_prices')
      .addColumn('item_id', 'varchar(64)', (c) => c.notNull())
      // Sorts by the time it was set (newSortableId): the newest per item is the highest id.
      .addColumn('id', 'varchar(64)', (c) => c.notNull())
      .addColumn('set_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('price', 'double precision', (c) => c.notNull())
      .addColumn('source', 'varchar(16)', (c) => c.notNull())
      .addColumn('suggestion_id', 'varchar(64)')
      .addPrimaryKeyConstraint('pricing_prices_pk', ['item_id', 'id'])
      .execute()
    await db.schema
      .createTable('pricing_suggestions')
      .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('item_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('category', 'varchar(100)', (c) => c.notNull())
      .addColumn('status', 'varchar(16)', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('decided_at', 'varchar(32)')
      .execute()
    await db.schema
      .createIndex('pricing_suggestions_status')
      .on('pricing_suggestions')
      .columns(['status', 'created_at'])
      .execute()
  },
  async down(db: MigrationDb) {
    await db.schema.dropTable('pricing_suggestions').execute()
    await db.schema.dropTable('pricing_prices').execute()
    await db.schema.dropTable('pricing_rules').execute()
    await db.schema.alterTable('catalog_items').dropColumn('stock').execute()
  },
}
