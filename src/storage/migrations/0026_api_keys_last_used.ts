import type { Migration } from 'kysely'
import type { MigrationDb } from './index.js'

/**
 * `api_keys.last_used_at`: when a key last authenticated a request, to the hour (each process writes
 * it at most once an hour per key, see auth.service.ts), so the security review can flag keys that are
 * old or never used (issue 20).
 */
export const migration0026ApiKeysLastUsed: Migration = {
  async up(db: MigrationDb) {
    await db.schema.alterTable('api_keys').addColumn('last_used_at', 'varchar(32)').execute()
  },
  async down(db: MigrationDb) {
    await db.schema.alterTable('api_keys').dropColumn('last_used_at').execute()
  },
}
