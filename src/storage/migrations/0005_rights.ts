import type { Migration } from 'kysely'
import type { MigrationDb } from './index.js'

/**
 * Data-subject rights requests with their deadlines and resumable job state, and the one-time codes
 * that verify self-service requests (stored hashed).
 */
export const migration0005Rights: Migration = {
  async up(db: MigrationDb) {
    await db.schema
      .createTable('rights_requests')
      .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
      .addColumn('type', 'varchar(20)', (c) => c.notNull())
      .addColumn('subject_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('status', 'varchar(20)', (c) => c.notNull())
      .addColumn('regime', 'varchar(10)', (c) => c.notNull())
      .addColumn('jurisdiction', 'varchar(16)', (c) => c.notNull())
      .addColumn('channel', 'varchar(20)', (c) => c.notNull())
      .addColumn('received_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('due_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('extension_reason', 'text')
      .addColumn('verified_at', 'varchar(32)')
      .addColumn('completed_at', 'varchar(32)')
      .addColumn('denied_reason', 'varchar(200)')
      .addColumn('sealed_input', 'text')
      .addColumn('steps_done', 'text', (c) => c.notNull().defaultTo('[]'))
      .addColumn('result', 'text')
      .addColumn('lease_until', 'varchar(32)')
      .execute()
    await db.schema
      .createIndex('rights_requests_status')
      .on('rights_requests')
      .columns(['status', 'due_at'])
      .execute()
    await db.schema
      .createIndex('rights_requests_subject')
      .on('rights_requests')
      .column('subject_id')
      .execute()
    await db.schema
      .createTable('rights_verifications')
      .addColumn('request_id', 'varchar(40)', (c) =>
        c.primaryKey().references('rights_requests.id').onDelete('cascade'),
      )
      .addColumn('code_hash', 'varchar(64)', (c) => c.notNull())
      .addColumn('expires_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .execute()
  },
  async down(db: MigrationDb) {
    await db.schema.dropTable('rights_verifications').execute()
    await db.schema.dropTable('rights_requests').execute()
  },
}
