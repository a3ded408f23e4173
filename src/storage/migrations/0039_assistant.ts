import type { Migration } from 'kysely'
import type { MigrationDb } from './index.js'

/**
 * The shopping assistant's transcripts (issue 24, part 2, `src/modules/assistant/`): one row per turn
 * (the shopper's message, the assistant's reply and the items it showed), kept only under the charter
 * purpose `personalize.assistant` for a shopper who granted it, under their owner (a subject id or an
 * anonymous visit's session key, like `events.owner`), keyed `(owner, conversation_id, id)` so that it
 * can be distributed by owner. `expires_at`: the purpose's retention (a visit's end, if sooner).
 */
export const migration0039Assistant: Migration = {
  async up(db: MigrationDb) {
    await db.schema
      .createTable('assistant_turns')
      .addColumn('owner', 'varchar(80)', (c) => c.notNull())
      .addColumn('conversation_id', 'varchar(48)', (c) => c.notNull())
      .addColumn('id', 'varchar(40)', (c) => c.notNull())
      .addColumn('text', 'text', (c) => c.notNull())
      .addColumn('reply', 'text', (c) => c.notNull())
      .addColumn('items', 'text', (c) => c.notNull())
      .addColumn('level', 'varchar(16)', (c) => c.notNull())
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('expires_at', 'varchar(32)', (c) => c.notNull())
      .addPrimaryKeyConstraint('assistant_turns_pk', ['owner', 'conversation_id', 'id'])
      .execute()
    await db.schema
      .createIndex('assistant_turns_expires')
      .on('assistant_turns')
      .column('expires_at')
      .execute()
  },
  async down(db: MigrationDb) {
    await db.schema.dropTable('assistant_turns').execute()
  },
}
