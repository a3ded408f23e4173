import type { ChangeFeed } from '../../storage/changes.js'
import { sql } from 'kysely'
import { type Db, dialectOf, eachRow } from '../../storage/db.js'
import { EVERY_OWNER, type WriteOf, ownerWrites } from '../../storage/owner-writes.js'
import { DAY_MS } from '../../lib/clock.js'
import type { AnswerSegment } from './answer-segment.js'
import { ANSWER_LOG_DAYS } from './recommend.js'

/**
 * The recommend module's tables as this repository reads them (a test that writes them directly uses
 * it too).
 */
export type RecommendTables = {
  recommend_feedback: {
    id: string
    owner: string
    kind: string
    item: string | null
    reason_kind: string | null
    rating: number | null
    recomm_id: string | null
    created_at: string
    expires_at: string
  }
  recommend_answers: {
    recomm_id: string
    level: string
    placement: string
    items: string
    created_at: string
    /** The coarse segment (`answer-segment.ts`); null on answers logged before it was kept. */
    jurisdiction: string | null
    tenure: string | null
    history: string | null
  }
  recommend_answer_days: { day: string; level: string; placement: string; answers: number }
  recommend_forgotten: { subject_id: string; forgotten_at: string }
  recommend_training_runs: {
    id: string
    trained_at: string
    subjects: number
    items: number
    events: number
    seconds: number
    quality: string
  }
}

export interface FeedbackRow {
  id: string
  kind: string
  item: string | null
  reasonKind: string | null
  rating: number | null
  recommId: string | null
  createdAt: string
}

export interface AnswerRow {
  recommId: string
  level: string
  placement: string
  items: string[]
  createdAt: string
  segment: AnswerSegment
}

export interface TrainingRun {
  id: string
  trainedAt: string
  subjects: number
  items: number
  events: number
  seconds: number
  quality: Record<string, unknown>
}

function toTrainingRun(row: RecommendTables['recommend_training_runs']): TrainingRun {
  return {
    id: row.id,
    trainedAt: row.trained_at,
    subjects: row.subjects,
    items: row.items,
    events: row.events,
    seconds: row.seconds,
    quality: JSON.parse(row.quality) as Record<string, unknown>,
  }
}

/** How long a forget is kept for other processes to apply (they retrain at least every 7 days). */
const FORGOTTEN_DAYS = 30
/** Answer ids per read of the answer log (one parameter each: under PostgreSQL's and SQLite's limits). */
const ANSWER_CHUNK_READ = 500

const t = (db: Db) => db.withTables<RecommendTables>()

/** Reads, and writes no in-memory copy is made from (answer log, forgets, training runs). */
const quiet = {
  async listFeedback(db: Db, owner: string): Promise<readonly FeedbackRow[]> {
    const rows = await t(db)
      .selectFrom('recommend_feedback')
      .selectAll()
      .where('owner', '=', owner)
      .orderBy('id')
      .execute()
    return rows.map((r) => ({
      id: r.id,
      kind: r.kind,
      item: r.item,
      reasonKind: r.reason_kind,
      rating: r.rating,
      recommId: r.recomm_id,
      createdAt: r.created_at,
    }))
  },
  async insertForgotten(db: Db, subjectId: string, at: string): Promise<void> {
    await t(db)
      .insertInto('recommend_forgotten')
      .values({ subject_id: subjectId, forgotten_at: at })
      .onConflict((oc) => oc.column('subject_id').doUpdateSet({ forgotten_at: at }))
      .execute()
  },
  async listForgottenSince(db: Db, since: string): Promise<{ subjectId: string; at: string }[]> {
    const rows = await t(db)
      .selectFrom('recommend_forgotten')
      .selectAll()
      .where('forgotten_at', '>=', since)
      .execute()
    return rows.map((r) => ({ subjectId: r.subject_id, at: r.forgotten_at }))
  },
  /**
   * A batch of the answer log (the service buffers it), with the day counts it adds to, in one
   * transaction: on SQLite one prepared one-row insert run per answer, on PostgreSQL one multi-row
   * statement.
   */
  async insertAnswers(db: Db, answers: readonly AnswerRow[]) {
    if (answers.length === 0) return
    const values = answers.map((answer) => ({
      recomm_id: answer.recommId,
      level: answer.level,
      placement: answer.placement,
      items: JSON.stringify(answer.items),
      created_at: answer.createdAt,
      jurisdiction: answer.segment.jurisdiction,
      tenure: answer.segment.tenure,
      history: answer.segment.history,
    }))
    const days = new Map<
      string,
      { day: string; level: string; placement: string; answers: number }
    >()
    for (const v of values) {
      const day = v.created_at.slice(0, 10)
      const key = `${day}|${v.level}|${v.placement}`
      const found = days.get(key)
      if (found === undefined)
        days.set(key, { day, level: v.level, placement: v.placement, answers: 1 })
      else found.answers += 1
    }
    await db.transaction().execute(async (trx) => {
      if (dialectOf(db) === 'sqlite') {
        await trx.executeQuery(
          eachRow(
            'insert into recommend_answers (recomm_id, level, placement, items, created_at, jurisdiction, tenure, history) values (?, ?, ?, ?, ?, ?, ?, ?)',
            values.map((v) => [
              v.recomm_id,
              v.level,
              v.placement,
              v.items,
              v.created_at,
              v.jurisdiction,
              v.tenure,
              v.history,
            ]),
          ),
        )
      } else {
        await t(trx).insertInto('recommend_answers').values(values).execute()
      }
      await t(trx)
        .insertInto('recommend_answer_days')
        .values([...days.values()])
        .onConflict((oc) =>
          oc.columns(['day', 'level', 'placement']).doUpdateSet({
            answers: sql`recommend_answer_days.answers + excluded.answers`,
          }),
        )
        .execute()
    })
  },
  /** Answers logged on `fromDay` (YYYY-MM-DD, UTC) or later, counted per level and placement. */
  async countAnswers(
    db: Db,
    fromDay: string,
  ): Promise<{ level: string; placement: string; answers: number }[]> {
    const rows = await t(db)
      .selectFrom('recommend_answer_days')
      .select(['level', 'placement', (eb) => eb.fn.sum<number | string>('answers').as('answers')])
      .where('day', '>=', fromDay)
      .groupBy(['level', 'placement'])
      .execute()
    return rows.map((r) => ({
      level: r.level,
      placement: r.placement,
      answers: Number(r.answers),
    }))
  },
  /** The logged answers among `ids` that were given since `since`. */
  async findAnswers(
    db: Db,
    ids: readonly string[],
    since: string,
  ): Promise<Map<string, { level: string; placement: string; items: string[] }>> {
    const found = new Map<string, { level: string; placement: string; items: string[] }>()
    for (let k = 0; k < ids.length; k += ANSWER_CHUNK_READ) {
      const rows = await t(db)
        .selectFrom('recommend_answers')
        .select(['recomm_id', 'level', 'placement', 'items'])
        .where('recomm_id', 'in', ids.slice(k, k + ANSWER_CHUNK_READ))
        .where('created_at', '>=', since)
        .execute()
      for (const r of rows) {
        found.set(r.recomm_id, {
          level: r.level,
          placement: r.placement,
          items: JSON.parse(r.items) as string[],
        })
      }
    }
    return found
  },
  /**
   * "Not this" feedback kept now on items whose id starts with `prefix` (`offer:`), counted per item
   * and UTC day (YYYY-MM-DD) given: counts only, no owner.
   */
  async countNotInterested(
    db: Db,
    prefix: string,
    since: string,
  ): Promise<{ item: string; day: string; count: number }[]> {
    const day = sql<string>`substr(created_at, 1, 10)`
    const rows = await t(db)
      .selectFrom('recommend_feedback')
      .select(['item', day.as('day'), (eb) => eb.fn.countAll<number | string>().as('count')])
      .where('kind', '=', 'not_interested')
      .where('item', 'like', `${prefix.replace(/[\\%_]/g, '')}%`)
      .where('created_at', '>=', since)
      .groupBy(['item', day])
      .execute()
    return rows.map((r) => ({ item: r.item!, day: r.day, count: Number(r.count) }))
  },
  /** "Not this" feedback given since `since` that cites an answer: the answer and the item only. */
  async listNotInterestedCitations(
    db: Db,
    since: string,
  ): Promise<{ recommId: string; item: string }[]> {
    const rows = await t(db)
      .selectFrom('recommend_feedback')
      .select(['recomm_id', 'item'])
      .where('kind', '=', 'not_interested')
      .where('recomm_id', 'is not', null)
      .where('item', 'is not', null)
      .where('created_at', '>=', since)
      .execute()
    return rows.map((r) => ({ recommId: r.recomm_id!, item: r.item! }))
  },
  async insertTrainingRun(db: Db, run: TrainingRun): Promise<void> {
    await t(db)
      .insertInto('recommend_training_runs')
      .values({
        id: run.id,
        trained_at: run.trainedAt,
        subjects: run.subjects,
        items: run.items,
        events: run.events,
        seconds: run.seconds,
        quality: JSON.stringify(run.quality),
      })
      .execute()
  },
  async latestTrainingRun(db: Db): Promise<TrainingRun | undefined> {
    const row = await t(db)
      .selectFrom('recommend_training_runs')
      .selectAll()
      .orderBy('trained_at', 'desc')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst()
    return row === undefined ? undefined : toTrainingRun(row)
  },
  /** The `limit` most recent training runs, oldest first (for a chart over runs). */
  async listTrainingRuns(db: Db, limit: number): Promise<TrainingRun[]> {
    const rows = await t(db)
      .selectFrom('recommend_training_runs')
      .selectAll()
      .orderBy('trained_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute()
    return rows.reverse().map(toTrainingRun)
  },
}

/** Feedback writes: each is made with `write` (`owner-writes.ts`), naming the owners it touched. */
function feedbackWrites(write: WriteOf) {
  return {
    insertFeedback: write(
      async (db: Db, owner: string, row: FeedbackRow, expiresAt: string): Promise<void> => {
        await t(db)
          .insertInto('recommend_feedback')
          .values({
            id: row.id,
            owner,
            kind: row.kind,
            item: row.item,
            reason_kind: row.reasonKind,
            rating: row.rating,
            recomm_id: row.recommId,
            created_at: row.createdAt,
            expires_at: expiresAt,
          })
          .execute()
      },
      (_, owner) => [owner],
    ),
    deleteFeedback: write(
      async (db: Db, owner: string): Promise<number> => {
        const result = await t(db)
          .deleteFrom('recommend_feedback')
          .where('owner', '=', owner)
          .executeTakeFirst()
        return Number(result.numDeletedRows)
      },
      (_, owner) => [owner],
    ),
    deleteExpired: write(
      async (
        db: Db,
        now: string,
      ): Promise<{ feedback: number; answers: number; forgotten: number }> => {
        const feedback = await t(db)
          .deleteFrom('recommend_feedback')
          .where('expires_at', '<=', now)
          .executeTakeFirst()
        const daysAgo = (days: number) => new Date(Date.parse(now) - days * DAY_MS).toISOString()
        const answersEnd = daysAgo(ANSWER_LOG_DAYS)
        const answers = await t(db)
          .deleteFrom('recommend_answers')
          .where('created_at', '<=', answersEnd)
          .executeTakeFirst()
        // A day's count goes with the last answer of that day.
        await t(db)
          .deleteFrom('recommend_answer_days')
          .where('day', '<', answersEnd.slice(0, 10))
          .execute()
        // By then every process has retrained (at most every 7 days) from data without the subject.
        const forgotten = await t(db)
          .deleteFrom('recommend_forgotten')
          .where('forgotten_at', '<=', daysAgo(FORGOTTEN_DAYS))
          .executeTakeFirst()
        return {
          feedback: Number(feedback.numDeletedRows),
          answers: Number(answers.numDeletedRows),
          forgotten: Number(forgotten.numDeletedRows),
        }
      },
      // Only the feedback is copied (the answer log and the forgotten list are not).
      (deleted) => (deleted.feedback > 0 ? EVERY_OWNER : []),
    ),
  }
}

/** The recommend module's tables; every feedback write announces its owner (see `feedbackWrites`). */
export function createRecommendRepository(changes: ChangeFeed) {
  return { ...quiet, ...feedbackWrites(ownerWrites(changes)) }
}

export type RecommendRepository = ReturnType<typeof createRecommendRepository>
