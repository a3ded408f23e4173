import type { Migration } from 'kysely'
import type { MigrationDb } from './index.js'

/**
 * The experiments module's tables (issue 21, `src/modules/experiments/`).
 *
 * - `experiments`: one row per experiment: its definition (variants, primary metric, guardrails,
 *   stages) as JSON, its status and current stage, the pseudonym key id its assignment key is derived
 *   from (so a key rotation does not reshuffle anyone), why it stopped, and the sequential test's state
 *   after the last rollout step (running minimum p-values, intersected intervals). No personal data.
 * - `experiment_enrolments`: one row per shopper (a subject id or a visit's session key, `owner`) and
 *   experiment they were enrolled in: the variant, the stage they came in at, and whether they have
 *   since viewed, put in the basket, bought or said "not this" (each counted once per shopper). Goes with
 *   the subject's erasure and is in their export.
 */
export const migration0028Experiments: Migration = {
  async up(db: MigrationDb) {
    await db.schema
      .createTable('experiments')
      .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
      .addColumn('name', 'varchar(200)', (c) => c.notNull())
      .addColumn('status', 'varchar(16)', (c) => c.notNull())
      .addColumn('stage', 'integer', (c) => c.notNull())
      .addColumn('key_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('definition', 'text', (c) => c.notNull())
      .addColumn('looks', 'text', (c) => c.notNull())
      .addColumn('stopped_reason', 'text')
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
      .execute()
    await db.schema
      .createTable('experiment_enrolments')
      .addColumn('owner', 'varchar(100)', (c) => c.notNull())
      .addColumn('experiment_id', 'varchar(40)', (c) => c.notNull())
      .addColumn('variant', 'integer', (c) => c.notNull())
      .addColumn('stage', 'integer', (c) => c.notNull())
      .addColumn('viewed', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('basketed', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('purchased', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('not_this', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('enrolled_at', 'varchar(32)', (c) => c.notNull())
      .addPrimaryKeyConstraint('experiment_enrolments_pk', ['owner', 'experiment_id'])
      .execute()
    await db.schema
      .createIndex('experiment_enrolments_experiment')
      .on('experiment_enrolments')
      .columns(['experiment_id', 'variant'])
      .execute()
  },
  async down(db: MigrationDb) {
    await db.schema.dropTable('experiment_enrolments').execute()
    await db.schema.dropTable('experiments').execute()
  },
}
