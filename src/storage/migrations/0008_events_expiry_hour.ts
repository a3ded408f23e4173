import { type Migration, sql } from 'kysely'
import type { MigrationDb } from './index.js'

/**
 * The events' expiry index keyed by the hour of expiry (`substr(expires_at, 1, 13)`, `2027-01-31T09`)
 * instead of the exact instant. Expiries are the event's time plus a retention, so an index on the instant
 * took each new row at a scattered place: a batch of 500 events dirtied twice as many index pages as
 * the rows themselves took, more than half of an ingest batch's database time on SQLite. By the hour, a
 * batch lands in a handful of keys, each appended at its end (equal keys are ordered by row). Retention
 * still finds what is due with an index range (`hour <= now's hour`) and checks the exact instant on
 * those rows only.
 */
export const migration0008EventsExpiryHour: Migration = {
  async up(db: MigrationDb) {
    await db.schema.dropIndex('events_expires').execute()
    await db.schema
      .createIndex('events_expires_hour')
      .on('events')
      .expression(sql`substr(expires_at, 1, 13)`)
      .execute()
  },
  async down(db: MigrationDb) {
    await db.schema.dropIndex('events_expires_hour').execute()
    await db.schema.createIndex('events_expires').on('events').column('expires_at').execute()
  },
}
