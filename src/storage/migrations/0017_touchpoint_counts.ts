import type { Migration } from 'kysely'
import type { MigrationDb } from './index.js'

/**
 * How often a touchpoint reached one shopper (a subject id, or an anonymous visit's session key) in one
 * window of its charter frequency cap (`touchpoints.*.frequencyCap`): one row per owner, touchpoint and
 * window. `served` counts the times handed out to serving processes (each takes a few at once, see the
 * recommend module's touchpoint caps), `last_claim` how many the last claim took; processes sharing the
 * database share the count. `resets_at` lets retention drop windows that ended.
 */
export const migration0017TouchpointCounts: Migration = {
  async up(db: MigrationDb) {
    await db.schema
      .createTable('touchpoint_counts')
      .addColumn('owner', 'varchar(200)', (c) => c.notNull())
      .addColumn('touchpoint', 'varchar(100)', (c) => c.notNull())
      .addColumn('window_start', 'varchar(32)', (c) => c.notNull())
      .addColumn('resets_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('served', 'integer', (c) => c.notNull())
      .addColumn('last_claim', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('touchpoint_counts_pk', ['owner', 'touchpoint', 'window_start'])
      .execute()
    await db.schema
      .createIndex('touchpoint_counts_resets_at')
      .on('touchpoint_counts')
      .column('resets_at')
      .execute()
  },
  async down(db: MigrationDb) {
    await db.schema.dropTable('touchpoint_counts').execute()
  },
}
