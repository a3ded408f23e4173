import type { Migration } from 'kysely'
import type { MigrationDb } from './index.js'

/**
 * `rights_verifications.resent_at`: when each fresh code of a request was sent after the first (a JSON
 * list of ISO times), so that resends are limited per hour. `attempts` now counts wrong codes over the
 * request's whole life: a resend no longer resets it.
 */
export const migration0013RightsCodeLimits: Migration = {
  async up(db: MigrationDb) {
    await db.schema
      .alterTable('rights_verifications')
      .addColumn('resent_at', 'text', (c) => c.notNull().defaultTo('[]'))
      .execute()
  },
  async down(db: MigrationDb) {
    await db.schema.alterTable('rights_verifications').dropColumn('resent_at').execute()
  },
}
