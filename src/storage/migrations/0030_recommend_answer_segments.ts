import type { Migration } from 'kysely'
import type { MigrationDb } from './index.js'

/**
 * The answer log's coarse shopper segment (issue 20: online rates per shopper group in the fairness
 * audit). Each logged answer keeps, beside its level, the groups its shopper falls in and nothing that
 * names them: `jurisdiction` (a charter jurisdiction code, or `default`), `tenure` (`new` or
 * `returning`) and `history` (a bucket of history length: `0`, `1-4`, `5-19`, `20+`). Tenure and
 * history are known only for personal answers (null otherwise: no other answer reads a history), and
 * answers logged before this migration have all three null. One column per statement: SQLite adds one
 * column per `alter table`.
 */
export const migration0030RecommendAnswerSegments: Migration = {
  async up(db: MigrationDb) {
    await db.schema
      .alterTable('recommend_answers')
      .addColumn('jurisdiction', 'varchar(16)')
      .execute()
    await db.schema.alterTable('recommend_answers').addColumn('tenure', 'varchar(16)').execute()
    await db.schema.alterTable('recommend_answers').addColumn('history', 'varchar(8)').execute()
  },
  async down(db: MigrationDb) {
    for (const column of ['history', 'tenure', 'jurisdiction'])
      await db.schema.alterTable('recommend_answers').dropColumn(column).execute()
  },
}
