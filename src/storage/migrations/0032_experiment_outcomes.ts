import type { Migration } from 'kysely'
import type { MigrationDb } from './index.js'

/**
 * Experiments wired into recommendations and outcomes (issue 21, `src/modules/experiments/`).
 *
 * - `experiment_enrolments.creepy`: whether the shopper, once enrolled, sent feedback tagged with the
 *   privacy aspect (the "creepy" guardrail), counted once like the other metrics.
 * - `experiments.history`: the sequential test's state at each look of the rollout job (JSON: time,
 *   units, and per comparison the interval and p-value), for the console's chart. No personal data.
 * - `experiment_exposures`: which answers (`recomm_id`) a variant shaped, under the enrolled shopper
 *   (`owner`, a subject id), so that a later view, basket, purchase or "not this" citing the answer
 *   counts for that shopper's variant. Keyed `(owner, recomm_id)` (distributed by owner); kept as long
 *   as the answer log, goes with the subject's erasure.
 */
export const migration0032ExperimentOutcomes: Migration = {
  async up(db: MigrationDb) {
    await db.schema
      .alterTable('experiment_enrolments')
      .addColumn('creepy', 'integer', (c) => c.notNull().defaultTo(0))
      .execute()
    await db.schema
      .alterTable('experiments')
      .addColumn('history', 'text', (c) => c.notNull().defaultTo('[]'))
      .execute()
    await db.schema
      .createTable('experiment_exposures')
      .addColumn('owner', 'varchar(100)', (c) => c.notNull())
      .addColumn('recomm_id', 'varchar(40)', (c) => c.notNull())
      .addColumn('experiment_id', 'varchar(40)', (c) => c.notNull())
      .addColumn('variant', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .addPrimaryKeyConstraint('experiment_exposures_pk', ['owner', 'recomm_id'])
      .execute()
    await db.schema
      .createIndex('experiment_exposures_recomm')
      .on('experiment_exposures')
      .column('recomm_id')
      .execute()
    await db.schema
      .createIndex('experiment_exposures_created')
      .on('experiment_exposures')
      .column('created_at')
      .execute()
  },
  async down(db: MigrationDb) {
    await db.schema.dropTable('experiment_exposures').execute()
    await db.schema.alterTable('experiments').dropColumn('history').execute()
    await db.schema.alterTable('experiment_enrolments').dropColumn('creepy').execute()
  },
}
