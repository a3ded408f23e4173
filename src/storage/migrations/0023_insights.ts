import type { Migration } from 'kysely'
import type { MigrationDb } from './index.js'

/**
 * The privacy budget ledger of the insights module (issue 19, `src/modules/insights/insights.budget.ts`).
 *
 * - `insights_budgets`: one row per analyst or partner key, made the first time the key spends. A
 *   spend locks it (`select ... for update` on PostgreSQL; SQLite has a single writer) and only then
 *   sums what the key spent in the rolling period, so two queries at once cannot both take the last
 *   of a budget.
 * - `insights_spends`: one row per query that spent (a dry run spends nothing): the key, when, rho
 *   (zero-concentrated DP) and delta, and a hash of the query (no values, no group keys). A spend counts
 *   while `spent_at` is later than now less the charter's `perDays`, hence the index on
 *   `(key_id, spent_at)`.
 */
export const migration0023Insights: Migration = {
  async up(db: MigrationDb) {
    await db.schema
      .createTable('insights_budgets')
      .addColumn('key_id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .execute()
    await db.schema
      .createTable('insights_spends')
      .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
      .addColumn('key_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('spent_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('rho', 'double precision', (c) => c.notNull())
      .addColumn('delta', 'double precision', (c) => c.notNull())
      .addColumn('query_hash', 'varchar(64)', (c) => c.notNull())
      .execute()
    await db.schema
      .createIndex('insights_spends_key')
      .on('insights_spends')
      .columns(['key_id', 'spent_at'])
      .execute()
  },
  async down(db: MigrationDb) {
    await db.schema.dropTable('insights_spends').execute()
    await db.schema.dropTable('insights_budgets').execute()
  },
}
