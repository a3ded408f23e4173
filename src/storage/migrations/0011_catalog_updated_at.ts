import type { Migration } from 'kysely'
import type { MigrationDb } from './index.js'

/**
 * `catalog_items_updated`: every serving process asks, at most once a second, which items were
 * upserted lately (an item added after training is recommendable without waiting for the next one);
 * with this index that is a short range read, not a scan of the catalog.
 */
export const migration0011CatalogUpdatedAt: Migration = {
  async up(db: MigrationDb) {
    await db.schema
      .createIndex('catalog_items_updated')
      .on('catalog_items')
      .column('updated_at')
      .execute()
  },
  async down(db: MigrationDb) {
    await db.schema.dropIndex('catalog_items_updated').execute()
  },
}
