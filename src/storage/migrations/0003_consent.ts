import type { Migration } from 'kysely'
import type { MigrationDb } from './index.js'

/**
 * The append-only consent ledger, each subject's settings (personalization level, jurisdiction,
 * restriction) and the progressive prompts already shown. Keyed by subject id for distribution.
 */
export const migration0003Consent: Migration = {
  async up(db: MigrationDb) {
    await db.schema
      .createTable('consent_records')
      .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
      .addColumn('subject_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('purpose', 'varchar(100)', (c) => c.notNull())
      .addColumn('decision', 'varchar(16)', (c) => c.notNull())
      .addColumn('method', 'varchar(32)', (c) => c.notNull())
      .addColumn('notice_version', 'varchar(64)', (c) => c.notNull())
      .addColumn('jurisdiction', 'varchar(16)', (c) => c.notNull())
      .addColumn('recorded_at', 'varchar(32)', (c) => c.notNull())
      .execute()
    await db.schema
      .createIndex('consent_records_subject')
      .on('consent_records')
      .columns(['subject_id', 'recorded_at'])
      .execute()
    await db.schema
      .createTable('subject_settings')
      .addColumn('subject_id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('level', 'varchar(16)', (c) => c.notNull())
      .addColumn('jurisdiction', 'varchar(16)')
      .addColumn('restricted', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
      .execute()
    await db.schema
      .createTable('consent_prompts_shown')
      .addColumn('subject_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('purpose', 'varchar(100)', (c) => c.notNull())
      .addColumn('shown_at', 'varchar(32)', (c) => c.notNull())
      .addPrimaryKeyConstraint('consent_prompts_shown_pk', ['subject_id', 'purpose'])
      .execute()
  },
  async down(db: MigrationDb) {
    await db.schema.dropTable('consent_prompts_shown').execute()
    await db.schema.dropTable('subject_settings').execute()
    await db.schema.dropTable('consent_records').execute()
  },
}
