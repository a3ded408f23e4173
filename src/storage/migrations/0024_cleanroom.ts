import type { Migration } from 'kysely'
import type { MigrationDb } from './index.js'

/**
 * The clean room for partners (issue 19, `src/modules/insights/cleanroom.*.ts`).
 *
 * - `api_keys.vendor`: the charter vendor a `partner` key acts for (null for every other role).
 * - `cleanroom_uploads`: one row per partner upload: the key and vendor that made it, the clean-room
 *   purpose its subjects granted, the key-file key id Candor's per-upload scalar is derived from (the
 *   scalar itself is never stored), `awaiting_matches` or `matched`, how many values each side sent
 *   (Candor's list is padded), and when it is deleted (the charter's `insights.cleanRoom.retentionDays`).
 * - `cleanroom_partner_values`: the partner's values blinded by both sides, H(x)^(ab), kept only until
 *   the partner sends its matches (then deleted). Candor cannot undo the partner's blinding.
 * - `cleanroom_pending`: which of Candor's own subjects sits at which position of the list Candor sent
 *   the partner (the list itself is not kept); deleted once matched.
 * - `cleanroom_matches`: the overlap, `(subject_id, upload_id)`: what partner queries count over.
 * Per-subject rows are keyed by the subject first (distribution by owner); no foreign keys, the clean
 * room deletes its own rows (retention, erasure).
 */
export const migration0024Cleanroom: Migration = {
  async up(db: MigrationDb) {
    await db.schema.alterTable('api_keys').addColumn('vendor', 'varchar(100)').execute()
    await db.schema
      .createTable('cleanroom_uploads')
      .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('key_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('vendor', 'varchar(100)', (c) => c.notNull())
      .addColumn('purpose', 'varchar(100)', (c) => c.notNull())
      .addColumn('secret_key_id', 'varchar(32)', (c) => c.notNull())
      .addColumn('state', 'varchar(20)', (c) => c.notNull())
      .addColumn('partner_count', 'integer', (c) => c.notNull())
      .addColumn('candor_count', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('matched_at', 'varchar(32)')
      .addColumn('expires_at', 'varchar(32)', (c) => c.notNull())
      .execute()
    await db.schema
      .createIndex('cleanroom_uploads_expires')
      .on('cleanroom_uploads')
      .column('expires_at')
      .execute()
    await db.schema
      .createTable('cleanroom_partner_values')
      .addColumn('upload_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('value', 'varchar(64)', (c) => c.notNull())
      .addPrimaryKeyConstraint('cleanroom_partner_values_pk', ['upload_id', 'value'])
      .execute()
    await db.schema
      .createTable('cleanroom_pending')
      .addColumn('subject_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('upload_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('position', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('cleanroom_pending_pk', ['subject_id', 'upload_id', 'position'])
      .execute()
    await db.schema
      .createIndex('cleanroom_pending_upload')
      .on('cleanroom_pending')
      .columns(['upload_id', 'position'])
      .execute()
    await db.schema
      .createTable('cleanroom_matches')
      .addColumn('subject_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('upload_id', 'varchar(64)', (c) => c.notNull())
      .addPrimaryKeyConstraint('cleanroom_matches_pk', ['subject_id', 'upload_id'])
      .execute()
    await db.schema
      .createIndex('cleanroom_matches_upload')
      .on('cleanroom_matches')
      .column('upload_id')
      .execute()
  },
  async down(db: MigrationDb) {
    for (const table of [
      'cleanroom_matches',
      'cleanroom_pending',
      'cleanroom_partner_values',
      'cleanroom_uploads',
    ])
      await db.schema.dropTable(table).execute()
    await db.schema.alterTable('api_keys').dropColumn('vendor').execute()
  },
}
