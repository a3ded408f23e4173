import { type Migration, sql } from 'kysely'
import type { MigrationDb } from './index.js'

/**
 * Indexes that keep a retention run (every 15 minutes, in one transaction) from reading whole tables:
 *
 * - `events_happened_hour`, the hour an event happened (`substr(coalesce(occurred_at, received_at), 1,
 *   13)`): a purpose whose own retention ended leaves the events it shared with longer-kept ones, and a
 *   run looks only at the events whose time crossed that retention since the previous run. Keyed by the
 *   hour, like the expiry index (0008): events arrive roughly in time order, so a batch lands in a
 *   handful of keys.
 * - `recommend_answers_created`: the answer log is kept 30 days; it grows with every answer served.
 */
export const migration0009RetentionIndexes: Migration = {
  async up(db: MigrationDb) {
    await db.schema
      .createIndex('events_happened_hour')
      .on('events')
      .expression(sql`substr(coalesce(occurred_at, received_at), 1, 13)`)
      .execute()
    await db.schema
      .createIndex('recommend_answers_created')
      .on('recommend_answers')
      .column('created_at')
      .execute()
  },
  async down(db: MigrationDb) {
    await db.schema.dropIndex('recommend_answers_created').execute()
    await db.schema.dropIndex('events_happened_hour').execute()
  },
}
