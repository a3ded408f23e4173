import type { Migration } from 'kysely'
import type { MigrationDb } from './index.js'

/**
 * `events_recomm`: the events that cite a recommendation answer (`recomm_id`), for online quality. Partial
 * (only rows that cite one), so it costs nothing for the many events that do not.
 */
export const migration0010RecommendCitations: Migration = {
  async up(db: MigrationDb) {
    await db.schema
      .createIndex('events_recomm')
      .on('events')
      .column('recomm_id')
      .where('recomm_id', 'is not', null)
      .execute()
  },
  async down(db: MigrationDb) {
    await db.schema.dropIndex('events_recomm').execute()
  },
}
