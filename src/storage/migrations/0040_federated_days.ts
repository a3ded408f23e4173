import { sql, type Migration } from 'kysely'
import type { MigrationDb } from './index.js'

/**
 * The federated sketch totals by UTC day of arrival (issue 22, `src/modules/federated/`), so that
 * retention can delete the days older than the federated purpose's `retentionDays` (running totals
 * without a day could only be kept for ever or dropped whole). Same cells as 0035, with `day`
 * (YYYY-MM-DD) first in the key: a batch adds to its day's cells; training sums the days kept.
 * A day says nothing of a shopper: every report in it is already locally differentially private.
 *
 * The table is rebuilt (SQLite cannot change a primary key in place); totals made before this
 * migration are dated the day it runs, the latest their reports can be, so none is dropped early.
 */
export const migration0040FederatedDays: Migration = {
  async up(db: MigrationDb) {
    await db.schema
      .createTable('federated_sketch_days')
      .addColumn('day', 'varchar(10)', (c) => c.notNull())
      .addColumn('epsilon_milli', 'integer', (c) => c.notNull())
      .addColumn('m', 'integer', (c) => c.notNull())
      .addColumn('k', 'integer', (c) => c.notNull())
      .addColumn('hash_row', 'integer', (c) => c.notNull())
      .addColumn('bucket', 'integer', (c) => c.notNull())
      .addColumn('ones', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('federated_sketch_day_pk', [
        'day',
        'epsilon_milli',
        'm',
        'k',
        'hash_row',
        'bucket',
      ])
      .execute()
    const today = new Date().toISOString().slice(0, 10)
    await sql`insert into federated_sketch_days (day, epsilon_milli, m, k, hash_row, bucket, ones)
      select ${today}, epsilon_milli, m, k, hash_row, bucket, ones from federated_sketch`.execute(
      db,
    )
    await db.schema.dropTable('federated_sketch').execute()
    await db.schema.alterTable('federated_sketch_days').renameTo('federated_sketch').execute()
  },
  async down(db: MigrationDb) {
    await db.schema
      .createTable('federated_sketch_totals')
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
    await sql`insert into federated_sketch_totals (epsilon_milli, m, k, hash_row, bucket, ones)
      select epsilon_milli, m, k, hash_row, bucket, sum(ones) from federated_sketch
      group by epsilon_milli, m, k, hash_row, bucket`.execute(db)
    await db.schema.dropTable('federated_sketch').execute()
    await db.schema.alterTable('federated_sketch_totals').renameTo('federated_sketch').execute()
  },
}
