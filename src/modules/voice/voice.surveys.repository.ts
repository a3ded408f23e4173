import type { Db } from '../../storage/db.js'
import { scheduledDefinitions } from '../../storage/scheduled-definitions.js'
import type { Survey } from './voice.surveys.js'

/**
 * The survey tables (migration 0038) and what surveys read of `voice_entries` (the answers). No copy is
 * made of them: every read goes to the database. The `surveys` table's SQL is shared with the offers'
 * (`storage/scheduled-definitions.ts`).
 */
type SurveyTables = {
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

export type SurveyRepository = ReturnType<typeof createSurveyRepository>

/** The surveys' SQL; every function takes the database or a transaction first. */
export function createSurveyRepository() {
  const t = (db: Db) => db.withTables<SurveyTables>()
  return {
    ...scheduledDefinitions<Survey>('surveys'),

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
