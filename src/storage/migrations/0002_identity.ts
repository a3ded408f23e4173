import type { Migration } from 'kysely'
import type { MigrationDb } from './index.js'

/**
 * Subjects (random pseudonyms), the keyed-HMAC lookup from a shop's customer reference to its subject,
 * and the encrypted vault of directly identifying data.
 */
export const migration0002Identity: Migration = {
  async up(db: MigrationDb) {
    await db.schema
      .createTable('subjects')
      .addColumn('subject_id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .execute()
    await db.schema
      .createTable('subject_refs')
      .addColumn('ref_hash', 'varchar(80)', (c) => c.primaryKey())
      .addColumn('subject_id', 'varchar(64)', (c) =>
        c.notNull().references('subjects.subject_id').onDelete('cascade'),
      )
      .execute()
    await db.schema
      .createIndex('subject_refs_subject')
      .on('subject_refs')
      .column('subject_id')
      .execute()
    await db.schema
      .createTable('vault_entries')
      .addColumn('subject_id', 'varchar(64)', (c) =>
        c.primaryKey().references('subjects.subject_id').onDelete('cascade'),
      )
      .addColumn('master_key_id', 'varchar(32)', (c) => c.notNull())
      .addColumn('wrapped_key', 'text', (c) => c.notNull())
      .addColumn('ciphertext', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
      .execute()
  },
  async down(db: MigrationDb) {
    await db.schema.dropTable('vault_entries').execute()
    await db.schema.dropTable('subject_refs').execute()
    await db.schema.dropTable('subjects').execute()
  },
}
