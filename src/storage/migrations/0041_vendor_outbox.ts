import type { Migration } from 'kysely'
import type { MigrationDb } from './index.js'

/**
 * The vendor outbox as ingest writes it (issue 23, `src/modules/vendors/`): one row per owner and
 * ingest batch, written in the events' transaction, instead of one `vendor_deliveries` row per event
 * and vendor (migration 0036). `events` is a JSON array with, per newly stored event that some vendor
 * receives: its type, the purposes it is shared under, the vendors, and its fields minimized to what
 * those vendors may receive; `vendors` counts them per vendor (`cloud-host=12,ad-network=3`, for
 * `GET /v1/vendors` without parsing `events`). The delivery job turns each row, oldest `id` first,
 * into its `vendor_deliveries` rows (vendor pseudonym, fields per vendor) and deletes it in the same
 * transaction; from there on nothing changed. Keyed `(owner, id)` like every per-shopper table; the
 * index on `id` gives the job its order. Rows of 0036 already in `vendor_deliveries` are untouched
 * (pending ones are sent as before).
 */
export const migration0041VendorOutbox: Migration = {
  async up(db: MigrationDb) {
    await db.schema
      .createTable('vendor_outbox')
      .addColumn('owner', 'varchar(80)', (c) => c.notNull())
      .addColumn('id', 'varchar(40)', (c) => c.notNull())
      .addColumn('owner_kind', 'varchar(8)', (c) => c.notNull())
      .addColumn('vendors', 'varchar(400)', (c) => c.notNull())
      .addColumn('events', 'text', (c) => c.notNull())
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('expires_at', 'varchar(32)', (c) => c.notNull())
      .addPrimaryKeyConstraint('vendor_outbox_pk', ['owner', 'id'])
      .execute()
    await db.schema.createIndex('vendor_outbox_id').on('vendor_outbox').column('id').execute()
  },
  async down(db: MigrationDb) {
    await db.schema.dropTable('vendor_outbox').execute()
  },
}
