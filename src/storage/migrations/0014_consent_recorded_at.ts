import type { Migration } from 'kysely'
import type { MigrationDb } from './index.js'

/** The consent ledger by time, for the console's consent rates per day (`GET /v1/consent-rates`). */
export const migration0014ConsentRecordedAt: Migration = {
  async up(db: MigrationDb) {
    await db.schema
      .createIndex('consent_records_recorded_at')
      .on('consent_records')
      .column('recorded_at')
      .execute()
  },
  async down(db: MigrationDb) {
    await db.schema.dropIndex('consent_records_recorded_at').execute()
  },
}
