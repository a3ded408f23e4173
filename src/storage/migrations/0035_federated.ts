import type { Migration } from 'kysely'
import type { MigrationDb } from './index.js'

/**
 * The federated sketch (issue 22 part B, `src/modules/federated/`): the running totals of every
 * locally differentially private report browsers sent, never a report itself. Per sketch (the epsilon
 * the reports were made at, in thousandths, and the shape m x k), hash row and bucket: how many
 * reports had a one there (`ones`); bucket -1 holds the number of reports of that row. A batch adds
 * to these cells (insert or add), so nothing links two reports, and no column names a shopper.
 */
export const migration0035Federated: Migration = {
  async up(db: MigrationDb) {
    await db.schema
      .createTable('federated_sketch')
      .addColumn('epsilon_milli', 'integer', (c) => c.notNull())
      .addColumn('m', 'integer', (c) => c.notNull())
      .addColumn('k', 'integer', (c) => c.notNull())
      .addColumn('hash_row', 'integer', (c) => c.notNull())
      .addColumn('bucket', 'integer', (c) => c.notNull())
      .addColumn('ones', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('federated_sketch_pk', [
        'epsilon_milli',
        'm',
        'k',
        'hash_row',
        'bucket',
      ])
      .execute()
  },
  async down(db: MigrationDb) {
    await db.schema.dropTable('federated_sketch').execute()
  },
}
