import type { Migration } from 'kysely'
import type { MigrationDb } from './index.js'

/**
 * Subjects taken out of the model (erasure, objection, rectification), so that every process sharing
 * the database takes them out of its own in-memory model too, not only the one that ran the job.
 */
export const migration0007RecommendForgotten: Migration = {
  async up(db: MigrationDb) {
    await db.schema
      .createTable('recommend_forgotten')
      .addColumn('subject_id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('forgotten_at', 'varchar(32)', (c) => c.notNull())
      .execute()
    await db.schema
      .createIndex('recommend_forgotten_at')
      .on('recommend_forgotten')
      .column('forgotten_at')
      .execute()
  },
  async down(db: MigrationDb) {
    await db.schema.dropTable('recommend_forgotten').execute()
  },
}
