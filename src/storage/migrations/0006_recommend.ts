import type { Migration } from 'kysely'
import type { MigrationDb } from './index.js'

/**
 * Recommendation feedback per shopper ("not this", "too personal", ratings), the log of answers given
 * (by recommId, without the shopper, so that later events can cite it), and training runs.
 */
export const migration0006Recommend: Migration = {
  async up(db: MigrationDb) {
    await db.schema
      .createTable('recommend_feedback')
      .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
      .addColumn('owner', 'varchar(80)', (c) => c.notNull())
      .addColumn('kind', 'varchar(20)', (c) => c.notNull())
      .addColumn('item', 'varchar(64)')
      .addColumn('reason_kind', 'varchar(32)')
      .addColumn('rating', 'integer')
      .addColumn('recomm_id', 'varchar(40)')
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('expires_at', 'varchar(32)', (c) => c.notNull())
      .execute()
    await db.schema
      .createIndex('recommend_feedback_owner')
      .on('recommend_feedback')
      .column('owner')
      .execute()
    await db.schema
      .createTable('recommend_answers')
      .addColumn('recomm_id', 'varchar(40)', (c) => c.primaryKey())
      .addColumn('level', 'varchar(16)', (c) => c.notNull())
      .addColumn('placement', 'varchar(16)', (c) => c.notNull())
      .addColumn('items', 'text', (c) => c.notNull())
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .execute()
    await db.schema
      .createTable('recommend_training_runs')
      .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
      .addColumn('trained_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('subjects', 'integer', (c) => c.notNull())
      .addColumn('items', 'integer', (c) => c.notNull())
      .addColumn('events', 'integer', (c) => c.notNull())
      .addColumn('seconds', 'real', (c) => c.notNull())
      .addColumn('quality', 'text', (c) => c.notNull())
      .execute()
  },
  async down(db: MigrationDb) {
    await db.schema.dropTable('recommend_training_runs').execute()
    await db.schema.dropTable('recommend_answers').execute()
    await db.schema.dropTable('recommend_feedback').execute()
  },
}
