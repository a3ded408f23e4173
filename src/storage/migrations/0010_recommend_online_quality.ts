import { type Migration, sql } from 'kysely'
import type { MigrationDb } from './index.js'

/**
 * Online quality (what shoppers did with the answers they were shown):
 *
 * - `events_recomm`: the events that cite an answer (`recomm_id`). Partial (only rows that cite one), so
 *   it costs nothing for the many events that do not.
 * - `recommend_answer_days`: answers served per UTC day, level and placement, added to with each write of
 *   the answer log, so counting a month of answers reads a few hundred rows rather than every answer.
 *   Filled here from the answers already logged.
 */
export const migration0010RecommendOnlineQuality: Migration = {
  async up(db: MigrationDb) {
    await db.schema
      .createIndex('events_recomm')
      .on('events')
      .column('recomm_id')
      .where('recomm_id', 'is not', null)
      .execute()
    await db.schema
      .createTable('recommend_answer_days')
      .addColumn('day', 'varchar(10)', (c) => c.notNull())
      .addColumn('level', 'varchar(16)', (c) => c.notNull())
      .addColumn('placement', 'varchar(16)', (c) => c.notNull())
      .addColumn('answers', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('recommend_answer_days_pk', ['day', 'level', 'placement'])
      .execute()
    await sql`insert into recommend_answer_days (day, level, placement, answers)
      select substr(created_at, 1, 10), level, placement, count(*) from recommend_answers
      group by substr(created_at, 1, 10), level, placement`.execute(db)
  },
  async down(db: MigrationDb) {
    await db.schema.dropTable('recommend_answer_days').execute()
    await db.schema.dropIndex('events_recomm').execute()
  },
}
