import type { Db } from '../../storage/db.js'
import type { Survey } from './voice.surveys.js'

/**
 * The survey tables (migration 0038) and what surveys read of `voice_entries` (the answers). No copy is
 * made of them: every read goes to the database.
 */
type SurveyTables = {
  surveys: {
    id: string
    purpose: string
    active_from: string | null
    active_until: string | null
    body: string
    created_at: string
    updated_at: string
  }
  survey_impressions: {
    owner: string
    survey: string
    shown_at: string
    expires_at: string
  }
  voice_entries: {
    owner: string
    survey: string | null
    question: string | null
    answer: string | null
    rating: number | null
  }
}

function fromRow(row: SurveyTables['surveys']): Survey {
  return {
    ...(JSON.parse(row.body) as Omit<Survey, 'createdAt' | 'updatedAt'>),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

export type SurveyRepository = ReturnType<typeof createSurveyRepository>

/** The surveys' SQL; every function takes the database or a transaction first. */
export function createSurveyRepository() {
  const t = (db: Db) => db.withTables<SurveyTables>()
  return {
    /** Inserts or replaces a survey by id (the creation time of a replaced one is kept). */
    async upsert(db: Db, survey: Survey): Promise<Survey> {
      const { createdAt, updatedAt, ...definition } = survey
      const row = await t(db)
        .insertInto('surveys')
        .values({
          id: survey.id,
          purpose: survey.purpose,
          active_from: survey.schedule.from ?? null,
          active_until: survey.schedule.until ?? null,
          body: JSON.stringify(definition),
          created_at: createdAt,
          updated_at: updatedAt,
        })
        .onConflict((oc) =>
          oc.column('id').doUpdateSet((eb) => ({
            purpose: eb.ref('excluded.purpose'),
            active_from: eb.ref('excluded.active_from'),
            active_until: eb.ref('excluded.active_until'),
            body: eb.ref('excluded.body'),
            updated_at: eb.ref('excluded.updated_at'),
          })),
        )
        .returningAll()
        .executeTakeFirstOrThrow()
      return fromRow(row)
    },

    async list(db: Db): Promise<Survey[]> {
      const rows = await t(db).selectFrom('surveys').selectAll().orderBy('id').execute()
      return rows.map(fromRow)
    },

    async find(db: Db, id: string): Promise<Survey | undefined> {
      const row = await t(db)
        .selectFrom('surveys')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirst()
      return row === undefined ? undefined : fromRow(row)
    },

    /** Surveys whose schedule includes `now` (activity and contexts are checked by the caller). */
    async listScheduled(db: Db, now: string): Promise<Survey[]> {
      const rows = await t(db)
        .selectFrom('surveys')
        .selectAll()
        .where((eb) =>
          eb.and([
            eb.or([eb('active_from', 'is', null), eb('active_from', '<=', now)]),
            eb.or([eb('active_until', 'is', null), eb('active_until', '>', now)]),
          ]),
        )
        .orderBy('id')
        .execute()
      return rows.map(fromRow)
    },

    /** The questions of `survey` this owner has answered (their entries still kept). */
    async answeredQuestions(db: Db, owner: string, survey: string): Promise<Set<string>> {
      const rows = await t(db)
        .selectFrom('voice_entries')
        .select('question')
        .distinct()
        .where('owner', '=', owner)
        .where('survey', '=', survey)
        .execute()
      return new Set(rows.flatMap((r) => (r.question === null ? [] : [r.question])))
    },

    /** Every answer to `survey`, without its owner or text: what the counts per choice read. */
    async listAnswers(db: Db, survey: string) {
      const rows = await t(db)
        .selectFrom('voice_entries')
        .select(['question', 'answer', 'rating'])
        .where('survey', '=', survey)
        .execute()
      return rows.map((r) => ({
        question: r.question,
        answer: r.answer,
        rating: r.rating === null ? null : Number(r.rating),
      }))
    },

    /** When `survey` was last shown to this owner, if its record has not expired. */
    async shownAt(db: Db, owner: string, survey: string, now: string): Promise<string | undefined> {
      const row = await t(db)
        .selectFrom('survey_impressions')
        .select('shown_at')
        .where('owner', '=', owner)
        .where('survey', '=', survey)
        .where('expires_at', '>', now)
        .executeTakeFirst()
      return row?.shown_at
    },

    /** Records that `survey` was shown to this owner now (replacing an earlier record). */
    async recordShown(
      db: Db,
      impression: { owner: string; survey: string; shownAt: string; expiresAt: string },
    ): Promise<void> {
      await t(db)
        .insertInto('survey_impressions')
        .values({
          owner: impression.owner,
          survey: impression.survey,
          shown_at: impression.shownAt,
          expires_at: impression.expiresAt,
        })
        .onConflict((oc) =>
          oc.columns(['owner', 'survey']).doUpdateSet((eb) => ({
            shown_at: eb.ref('excluded.shown_at'),
            expires_at: eb.ref('excluded.expires_at'),
          })),
        )
        .execute()
    },

    async listOwnerImpressions(db: Db, owner: string) {
      const rows = await t(db)
        .selectFrom('survey_impressions')
        .select(['survey', 'shown_at', 'expires_at'])
        .where('owner', '=', owner)
        .orderBy('survey')
        .execute()
      return rows.map((r) => ({ survey: r.survey, shownAt: r.shown_at, expiresAt: r.expires_at }))
    },

    async deleteOwnerImpressions(db: Db, owner: string): Promise<number> {
      const result = await t(db)
        .deleteFrom('survey_impressions')
        .where('owner', '=', owner)
        .executeTakeFirst()
      return Number(result.numDeletedRows)
    },

    async deleteExpiredImpressions(db: Db, now: string): Promise<number> {
      const result = await t(db)
        .deleteFrom('survey_impressions')
        .where('expires_at', '<=', now)
        .executeTakeFirst()
      return Number(result.numDeletedRows)
    },
  }
}
