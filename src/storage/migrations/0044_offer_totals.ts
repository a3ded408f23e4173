import type { Migration } from 'kysely'
import type { MigrationDb } from './index.js'

/**
 * Per-offer totals (issue 21, `src/modules/offers/offers.totals.ts`): how often each offer was shown
 * (an answer of `GET /v1/offers`, or an e-mail prepared) and clicked (its link followed through
 * `GET /v1/offers/{id}/open`), per touchpoint and UTC day (YYYY-MM-DD). Counts only: no shopper, no
 * answer id, nothing that names a person; kept as long as the offer's figures are wanted.
 */
export const migration0044OfferTotals: Migration = {
  async up(db: MigrationDb) {
    await db.schema
      .createTable('offer_totals')
      .addColumn('offer_id', 'varchar(40)', (c) => c.notNull())
      .addColumn('touchpoint', 'varchar(64)', (c) => c.notNull())
      .addColumn('day', 'varchar(10)', (c) => c.notNull())
      .addColumn('shown', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('clicked', 'bigint', (c) => c.notNull().defaultTo(0))
      .addPrimaryKeyConstraint('offer_totals_pk', ['offer_id', 'touchpoint', 'day'])
      .execute()
  },
  async down(db: MigrationDb) {
    await db.schema.dropTable('offer_totals').execute()
  },
}
