import type { Migration } from 'kysely'
import type { MigrationDb } from './index.js'

/**
 * The event store (pseudonymized, minimized events with an expiry), anonymous sessions, the item
 * catalog and import checkpoints. Events are keyed by their owner (a subject id or a session pseudonym)
 * first, so the table can be distributed by that key; `(owner, event_id)` is what makes retries
 * idempotent.
 */
export const migration0004Events: Migration = {
  async up(db: MigrationDb) {
    await db.schema
      .createTable('events')
      .addColumn('owner', 'varchar(80)', (c) => c.notNull())
      .addColumn('event_id', 'varchar(128)', (c) => c.notNull())
      .addColumn('type', 'varchar(16)', (c) => c.notNull())
      .addColumn('item', 'varchar(64)')
      .addColumn('quantity', 'integer')
      .addColumn('price', 'double precision')
      .addColumn('currency', 'varchar(3)')
      .addColumn('search_query', 'varchar(200)')
      .addColumn('placement', 'varchar(64)')
      .addColumn('recomm_id', 'varchar(128)')
      .addColumn('kind', 'varchar(32)')
      .addColumn('rating', 'integer')
      .addColumn('occurred_at', 'varchar(32)')
      .addColumn('received_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('purposes', 'varchar(400)', (c) => c.notNull())
      .addColumn('expires_at', 'varchar(32)', (c) => c.notNull())
      .addPrimaryKeyConstraint('events_pk', ['owner', 'event_id'])
      .execute()
    await db.schema.createIndex('events_expires').on('events').column('expires_at').execute()

    await db.schema
      .createTable('event_sessions')
      .addColumn('session_key', 'varchar(80)', (c) => c.primaryKey())
      .addColumn('started_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('expires_at', 'varchar(32)', (c) => c.notNull())
      .execute()
    await db.schema
      .createIndex('event_sessions_expires')
      .on('event_sessions')
      .column('expires_at')
      .execute()

    await db.schema
      .createTable('catalog_items')
      .addColumn('item_id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('title', 'varchar(300)', (c) => c.notNull())
      .addColumn('category_path', 'text', (c) => c.notNull())
      .addColumn('price', 'double precision')
      .addColumn('currency', 'varchar(3)')
      .addColumn('available', 'integer', (c) => c.notNull())
      .addColumn('special_category', 'varchar(32)')
      .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
      .execute()

    await db.schema
      .createTable('import_checkpoints')
      .addColumn('file_hash', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('kind', 'varchar(32)', (c) => c.notNull())
      .addColumn('lines_done', 'integer', (c) => c.notNull())
      .addColumn('counts', 'text', (c) => c.notNull())
      .addColumn('started_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('completed_at', 'varchar(32)')
      .execute()
  },
  async down(db: MigrationDb) {
    await db.schema.dropTable('import_checkpoints').execute()
    await db.schema.dropTable('catalog_items').execute()
    await db.schema.dropTable('event_sessions').execute()
    await db.schema.dropTable('events').execute()
  },
}
