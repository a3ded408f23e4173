import type { Migration } from 'kysely'
import type { MigrationDb } from './index.js'

/**
 * The voice of the customer's tables (issue 21, part 3, `src/modules/voice/`).
 *
 * - `voice_entries`: one review, survey answer or free-text feedback, under its owner (a subject id or
 *   an anonymous visit's session key, like `events.owner`), keyed `(owner, id)` so that it can be
 *   distributed by owner. The text has passed the personal-data scan; the analysis (sentiment, aspect
 *   tags, negative or not) is stored with it so trends and alerts read no text. `expires_at`: the
 *   purpose's retention.
 * - `voice_alerts`: each spike alert raised (an item or aspect and the hour it fired in), so that one
 *   spike is posted once; no owner, no text.
 */
export const migration0029Voice: Migration = {
  async up(db: MigrationDb) {
    await db.schema
      .createTable('voice_entries')
      .addColumn('owner', 'varchar(80)', (c) => c.notNull())
      .addColumn('id', 'varchar(40)', (c) => c.notNull())
      .addColumn('kind', 'varchar(16)', (c) => c.notNull())
      .addColumn('purpose', 'varchar(80)', (c) => c.notNull())
      .addColumn('item', 'varchar(64)')
      .addColumn('rating', 'integer')
      .addColumn('survey', 'varchar(64)')
      .addColumn('question', 'varchar(64)')
      .addColumn('answer', 'varchar(200)')
      .addColumn('text', 'text')
      .addColumn('sentiment', 'double precision', (c) => c.notNull())
      .addColumn('negative', 'integer', (c) => c.notNull())
      .addColumn('aspects', 'varchar(200)', (c) => c.notNull())
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('expires_at', 'varchar(32)', (c) => c.notNull())
      .addPrimaryKeyConstraint('voice_entries_pk', ['owner', 'id'])
      .execute()
    await db.schema
      .createIndex('voice_entries_created')
      .on('voice_entries')
      .column('created_at')
      .execute()
    await db.schema
      .createIndex('voice_entries_expires')
      .on('voice_entries')
      .column('expires_at')
      .execute()
    await db.schema
      .createTable('voice_alerts')
      .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
      .addColumn('target', 'varchar(80)', (c) => c.notNull())
      .addColumn('hour', 'varchar(32)', (c) => c.notNull())
      .addColumn('count', 'integer', (c) => c.notNull())
      .addColumn('statistic', 'double precision', (c) => c.notNull())
      .addColumn('delivered', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .addUniqueConstraint('voice_alerts_target_hour', ['target', 'hour'])
      .execute()
  },
  async down(db: MigrationDb) {
    await db.schema.dropTable('voice_alerts').execute()
    await db.schema.dropTable('voice_entries').execute()
  },
}
