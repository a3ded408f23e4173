import type { Migration } from 'kysely'
import type { MigrationDb } from './index.js'

/**
 * Vendor sharing (issue 23, `src/modules/vendors/`).
 *
 * - `vendor_deliveries`: the outbox and, once sent, the pseudonymous delivery log. One row per event and
 *   vendor, written in the event's transaction; keyed `(owner, id)` (owner: a subject id or a visit's
 *   session key) so that it can be distributed by owner; `id` sorts by creation, which gives the order
 *   per owner. `data` holds the event's fields minimized to the vendor until it is sent (then cleared:
 *   the log keeps which fields went, not their values); `pseudonym` is the vendor-specific one it got.
 *   A subject's rows stay until erasure (they say who must be asked to delete); a visit's go when its
 *   events expire (`expires_at`).
 * - `vendor_deletions`: one deletion request per vendor that received a subject's data, on erasure or
 *   objection, until the vendor acknowledges it (then its pseudonyms are cleared).
 */
export const migration0036Vendors: Migration = {
  async up(db: MigrationDb) {
    await db.schema
      .createTable('vendor_deliveries')
      .addColumn('owner', 'varchar(80)', (c) => c.notNull())
      .addColumn('id', 'varchar(40)', (c) => c.notNull())
      .addColumn('owner_kind', 'varchar(8)', (c) => c.notNull())
      .addColumn('vendor', 'varchar(64)', (c) => c.notNull())
      .addColumn('event_type', 'varchar(16)', (c) => c.notNull())
      .addColumn('purposes', 'varchar(400)', (c) => c.notNull())
      .addColumn('fields', 'varchar(200)', (c) => c.notNull())
      .addColumn('data', 'text')
      .addColumn('pseudonym', 'varchar(80)', (c) => c.notNull())
      .addColumn('status', 'varchar(12)', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addColumn('next_attempt_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('last_error', 'varchar(200)')
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('sent_at', 'varchar(32)')
      .addColumn('expires_at', 'varchar(32)', (c) => c.notNull())
      .addPrimaryKeyConstraint('vendor_deliveries_pk', ['owner', 'id'])
      .execute()
    await db.schema
      .createIndex('vendor_deliveries_due')
      .on('vendor_deliveries')
      .columns(['status', 'id'])
      .execute()
    await db.schema
      .createIndex('vendor_deliveries_vendor')
      .on('vendor_deliveries')
      .columns(['vendor', 'status'])
      .execute()
    await db.schema
      .createIndex('vendor_deliveries_expiry')
      .on('vendor_deliveries')
      .columns(['owner_kind', 'expires_at'])
      .execute()
    await db.schema
      .createTable('vendor_deletions')
      .addColumn('owner', 'varchar(80)', (c) => c.notNull())
      .addColumn('id', 'varchar(40)', (c) => c.notNull())
      .addColumn('vendor', 'varchar(64)', (c) => c.notNull())
      .addColumn('reason', 'varchar(16)', (c) => c.notNull())
      .addColumn('pseudonyms', 'text')
      .addColumn('status', 'varchar(16)', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addColumn('next_attempt_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('last_error', 'varchar(200)')
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('due_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('acknowledged_at', 'varchar(32)')
      .addPrimaryKeyConstraint('vendor_deletions_pk', ['owner', 'id'])
      .execute()
    await db.schema
      .createIndex('vendor_deletions_status')
      .on('vendor_deletions')
      .columns(['status', 'vendor'])
      .execute()
  },
  async down(db: MigrationDb) {
    await db.schema.dropTable('vendor_deletions').execute()
    await db.schema.dropTable('vendor_deliveries').execute()
  },
}
