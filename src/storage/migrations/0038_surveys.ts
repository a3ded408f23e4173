import type { Migration } from 'kysely'
import type { MigrationDb } from './index.js'

/**
 * Surveys (issue 21, part 3, `src/modules/voice/voice.surveys.*`).
 *
 * - `surveys`: what staff define (title, questions, contexts, purpose, schedule, sampling and cap) as
 *   one JSON body, with the columns serving filters on beside it. No personal data.
 * - `survey_impressions`: when a survey was last shown to an owner (a subject id or an anonymous
 *   visit's session key), so that the cap holds; keyed `(owner, survey)` so that it can be distributed
 *   by owner. It expires when the cap's window (or the purpose's retention, if sooner) ends, and is in
 *   the owner's export and erasure with their answers.
 */
export const migration0038Surveys: Migration = {
  async up(db: MigrationDb) {
    await db.schema
      .createTable('surveys')
      .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('purpose', 'varchar(80)', (c) => c.notNull())
      .addColumn('active_from', 'varchar(32)')
      .addColumn('active_until', 'varchar(32)')
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
      .execute()
    await db.schema
      .createTable('survey_impressions')
      .addColumn('owner', 'varchar(80)', (c) => c.notNull())
      .addColumn('survey', 'varchar(64)', (c) => c.notNull())
      .addColumn('shown_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('expires_at', 'varchar(32)', (c) => c.notNull())
      .addPrimaryKeyConstraint('survey_impressions_pk', ['owner', 'survey'])
      .execute()
    await db.schema
      .createIndex('survey_impressions_expires')
      .on('survey_impressions')
      .column('expires_at')
      .execute()
    await db.schema
      .createIndex('voice_entries_survey')
      .on('voice_entries')
      .columns(['survey', 'question'])
      .execute()
  },
  async down(db: MigrationDb) {
    await db.schema.dropIndex('voice_entries_survey').execute()
    await db.schema.dropTable('survey_impressions').execute()
    await db.schema.dropTable('surveys').execute()
  },
}
