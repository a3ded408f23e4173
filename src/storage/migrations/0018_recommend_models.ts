import { type Migration, sql } from 'kysely'
import { type Db, dialectOf } from '../db.js'
import type { MigrationDb } from './index.js'

/**
 * The trained model, stored so that one process trains and every process sharing the database loads it
 * (`src/modules/recommend/model.store.ts`): `recommend_models` has one row per stored version (only the
 * newest is kept), `recommend_model_chunks` its bytes in pieces small enough for one parameter, and
 * `recommend_model_locks` the training lease (`train`: who trains, until when) and the row every write
 * of a version locks first (`store`), so that versions are written one at a time.
 */
export const migration0018RecommendModels: Migration = {
  async up(db: MigrationDb) {
    const postgres = dialectOf(db as Db) === 'postgres'
    const bytes = postgres ? sql`bytea` : sql`blob`
    await db.schema
      .createTable('recommend_models')
      .addColumn('version', 'integer', (c) => c.primaryKey())
      .addColumn('run_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('trained_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('stored_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('reason', 'varchar(16)', (c) => c.notNull())
      .addColumn('chunks', 'integer', (c) => c.notNull())
      .addColumn('size', 'bigint', (c) => c.notNull())
      .execute()
    await db.schema
      .createTable('recommend_model_chunks')
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('chunk', 'integer', (c) => c.notNull())
      .addColumn('bytes', bytes, (c) => c.notNull())
      .addPrimaryKeyConstraint('recommend_model_chunks_pk', ['version', 'chunk'])
      .execute()
    // Out of line but not compressed: the model's arrays barely compress, and trying costs a write of
    // UCI's model (29 MB) about a second.
    if (postgres)
      await sql`alter table recommend_model_chunks alter column bytes set storage external`.execute(
        db,
      )
    await db.schema
      .createTable('recommend_model_locks')
      .addColumn('name', 'varchar(16)', (c) => c.primaryKey())
      .addColumn('holder', 'varchar(64)')
      .addColumn('expires_at', 'varchar(32)')
      .execute()
    await db
      .insertInto('recommend_model_locks')
      .values([
        { name: 'train', holder: null, expires_at: null },
        { name: 'store', holder: null, expires_at: null },
      ])
      .execute()
  },
  async down(db: MigrationDb) {
    await db.schema.dropTable('recommend_model_locks').execute()
    await db.schema.dropTable('recommend_model_chunks').execute()
    await db.schema.dropTable('recommend_models').execute()
  },
}
