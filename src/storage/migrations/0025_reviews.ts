import type { Migration } from 'kysely'
import type { MigrationDb } from './index.js'

/**
 * The reviews module's tables (issue 20, `src/modules/reviews/`): no personal data in either.
 *
 * - `review_reports`: every audit report the server or `candor audit report` produced (the fairness,
 *   privacy and security audits, their findings and chart specs), as one JSON body, kept so that the
 *   console can show the latest and what changed since the one before. Read newest first by
 *   `created_at`.
 * - `review_dpia_signoffs`: each sign-off of the data protection impact assessment by a privacy
 *   officer: the key that signed, when, the notice version (charter hash) the assessment was generated
 *   from, and a hash of the assessment itself. A newer notice version makes the latest sign-off stale.
 */
export const migration0025Reviews: Migration = {
  async up(db: MigrationDb) {
    await db.schema
      .createTable('review_reports')
      .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('notice_version', 'varchar(64)', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .execute()
    await db.schema
      .createIndex('review_reports_created')
      .on('review_reports')
      .column('created_at')
      .execute()
    await db.schema
      .createTable('review_dpia_signoffs')
      .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
      .addColumn('signed_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('key_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('notice_version', 'varchar(64)', (c) => c.notNull())
      .addColumn('dpia_hash', 'varchar(64)', (c) => c.notNull())
      .addColumn('note', 'varchar(1000)')
      .execute()
    await db.schema
      .createIndex('review_dpia_signoffs_signed')
      .on('review_dpia_signoffs')
      .column('signed_at')
      .execute()
  },
  async down(db: MigrationDb) {
    await db.schema.dropTable('review_dpia_signoffs').execute()
    await db.schema.dropTable('review_reports').execute()
  },
}
