import type { Migration } from 'kysely'
import type { MigrationDb } from './index.js'

/** API keys (hashed) and the hash-chained audit log. */
export const migration0001Foundation: Migration = {
  async up(db: MigrationDb) {
    await db.schema
      .createTable('api_keys')
      .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('role', 'varchar(32)', (c) => c.notNull())
      .addColumn('name', 'varchar(200)', (c) => c.notNull())
      .addColumn('secret_hash', 'varchar(64)', (c) => c.notNull())
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('revoked_at', 'varchar(32)')
      .execute()

    await db.schema
      .createTable('audit_log')
      .addColumn('seq', 'integer', (c) => c.primaryKey())
      .addColumn('at', 'varchar(32)', (c) => c.notNull())
      .addColumn('actor', 'varchar(100)', (c) => c.notNull())
      .addColumn('action', 'varchar(100)', (c) => c.notNull())
      .addColumn('subject_id', 'varchar(100)')
      .addColumn('details', 'text', (c) => c.notNull())
      .addColumn('prev_hash', 'varchar(64)', (c) => c.notNull())
      .addColumn('hash', 'varchar(64)', (c) => c.notNull())
      .execute()
    await db.schema.createIndex('audit_log_subject').on('audit_log').column('subject_id').execute()
  },
  async down(db: MigrationDb) {
    await db.schema.dropTable('audit_log').execute()
    await db.schema.dropTable('api_keys').execute()
  },
}
