import type { Migration } from 'kysely'
import type { MigrationDb } from './index.js'

/**
 * The offers module's table (issue 21, `src/modules/offers/`): offers and content staff define. No
 * personal data: what an offer says, whom it is for (as conditions, never as a list of shoppers), when
 * and where it runs, and the charter purpose it rests on. The definition is one JSON body; the columns
 * beside it are what serving filters on.
 */
export const migration0027Offers: Migration = {
  async up(db: MigrationDb) {
    await db.schema
      .createTable('offers')
      .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('purpose', 'varchar(200)', (c) => c.notNull())
      .addColumn('active_from', 'varchar(32)')
      .addColumn('active_until', 'varchar(32)')
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
      .execute()
  },
  async down(db: MigrationDb) {
    await db.schema.dropTable('offers').execute()
  },
}
