import { sql } from 'kysely'
import type { Db } from '../../storage/db.js'
import type { VoiceEntry, VoiceKind } from './voice.js'

/** The voice tables (migration 0029). No copy is made of them: every read goes to the database. */
type VoiceTables = {
  voice_entries: {
    owner: string
    id: string
    kind: string
    purpose: string
    item: string | null
    rating: number | null
    survey: string | null
    question: string | null
    answer: string | null
    text: string | null
    sentiment: number
    negative: number
    aspects: string
    created_at: string
    expires_at: string
  }
  voice_alerts: {
    id: string
    target: string
    hour: string
    count: number
    statistic: number
    delivered: number
    created_at: string
  }
}

/** What trends and alerts read of an entry: no owner, no text. */
export interface VoiceSignal {
  item: string | null
  rating: number | null
  hasText: boolean
  sentiment: number
  negative: boolean
  aspects: string[]
  createdAt: string
}

/** Aspects are stored as `,a,b,` so that one aspect is found with `like '%,a,%'`. */
const aspectsColumn = (aspects: readonly string[]) => `,${aspects.join(',')},`
const aspectsOf = (column: string) => column.split(',').filter((a) => a !== '')

export type VoiceRepository = ReturnType<typeof createVoiceRepository>

/** The voice module's SQL; every function takes the database or a transaction first. */
export function createVoiceRepository() {
  const t = (db: Db) => db.withTables<VoiceTables>()
  return {
    async insertEntry(db: Db, owner: string, entry: VoiceEntry): Promise<void> {
      await t(db)
        .insertInto('voice_entries')
        .values({
          owner,
          id: entry.id,
          kind: entry.kind,
          purpose: entry.purpose,
          item: entry.item,
          rating: entry.rating,
          survey: entry.survey,
          question: entry.question,
          answer: entry.answer,
          text: entry.text,
          sentiment: entry.sentiment,
          negative: entry.negative ? 1 : 0,
          aspects: aspectsColumn(entry.aspects),
          created_at: entry.createdAt,
          expires_at: entry.expiresAt,
        })
        .execute()
    },

    async listOwnerEntries(db: Db, owner: string): Promise<VoiceEntry[]> {
      const rows = await t(db)
        .selectFrom('voice_entries')
        .selectAll()
        .where('owner', '=', owner)
        .orderBy('id')
        .execute()
      return rows.map((row) => ({
        id: row.id,
        kind: row.kind as VoiceKind,
        purpose: row.purpose,
        item: row.item,
        rating: row.rating === null ? null : Number(row.rating),
        survey: row.survey,
        question: row.question,
        answer: row.answer,
        text: row.text,
        sentiment: Number(row.sentiment),
        negative: Number(row.negative) === 1,
        aspects: aspectsOf(row.aspects),
        createdAt: row.created_at,
        expiresAt: row.expires_at,
      }))
    },

    async deleteOwnerEntries(db: Db, owner: string): Promise<number> {
      const result = await t(db)
        .deleteFrom('voice_entries')
        .where('owner', '=', owner)
        .executeTakeFirst()
      return Number(result.numDeletedRows)
    },

    async deleteExpired(db: Db, now: string): Promise<number> {
      const result = await t(db)
        .deleteFrom('voice_entries')
        .where('expires_at', '<=', now)
        .executeTakeFirst()
      return Number(result.numDeletedRows)
    },

    /**
     * Whose entries created since `since` carry `aspect`, and when (owner ids only: no text). What the
     * experiments' "creepy" guardrail counts with the privacy aspect.
     */
    async listAspectOwners(
      db: Db,
      aspect: string,
      since: string,
    ): Promise<{ owner: string; createdAt: string }[]> {
      const rows = await t(db)
        .selectFrom('voice_entries')
        .select(['owner', 'created_at'])
        .where('created_at', '>=', since)
        .where('aspects', 'like', `%,${aspect},%`)
        .execute()
      return rows.map((r) => ({ owner: r.owner, createdAt: r.created_at }))
    },

    /** The distinct owners (subject ids or visit keys) of entries created since `since`. */
    async listOwnersSince(db: Db, since: string): Promise<string[]> {
      const rows = await t(db)
        .selectFrom('voice_entries')
        .select('owner')
        .distinct()
        .where('created_at', '>=', since)
        .execute()
      return rows.map((r) => r.owner)
    },

    /**
     * The signals of entries created in [from, to), optionally only one item's, or only negative ones
     * about one item or aspect.
     */
    async listSignals(
      db: Db,
      range: { from: string; to: string },
      filter: { item?: string; aspect?: string; negativeOnly?: boolean } = {},
    ): Promise<VoiceSignal[]> {
      let query = t(db)
        .selectFrom('voice_entries')
        .select(['item', 'rating', 'sentiment', 'negative', 'aspects', 'created_at'])
        .select(sql<number>`case when text is null then 0 else 1 end`.as('has_text'))
        .where('created_at', '>=', range.from)
        .where('created_at', '<', range.to)
      if (filter.item !== undefined) query = query.where('item', '=', filter.item)
      if (filter.aspect !== undefined)
        query = query.where('aspects', 'like', `%,${filter.aspect},%`)
      if (filter.negativeOnly === true) query = query.where('negative', '=', 1)
      const rows = await query.execute()
      return rows.map((row) => ({
        item: row.item,
        rating: row.rating === null ? null : Number(row.rating),
        hasText: Number(row.has_text) === 1,
        sentiment: Number(row.sentiment),
        negative: Number(row.negative) === 1,
        aspects: aspectsOf(row.aspects),
        createdAt: row.created_at,
      }))
    },

    /**
     * Per item, its ratings (1-5) of entries created since `since`: how many, their sum, and how many
     * were at or below `low`. What the recommend module's rating weight reads (no owner, no text).
     */
    async itemRatingsSince(
      db: Db,
      since: string,
      low: number,
    ): Promise<{ item: string; count: number; sum: number; low: number }[]> {
      const rows = await t(db)
        .selectFrom('voice_entries')
        .select('item')
        .select(sql<number>`count(*)`.as('count'))
        .select(sql<number>`sum(rating)`.as('sum'))
        .select(sql<number>`sum(case when rating <= ${low} then 1 else 0 end)`.as('low'))
        .where('created_at', '>=', since)
        .where('item', 'is not', null)
        .where('rating', 'is not', null)
        .groupBy('item')
        .execute()
      return rows.map((row) => ({
        item: row.item!,
        count: Number(row.count),
        sum: Number(row.sum),
        low: Number(row.low),
      }))
    },

    /**
     * Claims the alert for this target and hour: true for the one process (and request) that inserted
     * it, false when it was raised already.
     */
    async claimAlert(
      db: Db,
      alert: {
        id: string
        target: string
        hour: string
        count: number
        statistic: number
        createdAt: string
      },
    ): Promise<boolean> {
      const result = await t(db)
        .insertInto('voice_alerts')
        .values({
          id: alert.id,
          target: alert.target,
          hour: alert.hour,
          count: alert.count,
          statistic: alert.statistic,
          delivered: 0,
          created_at: alert.createdAt,
        })
        .onConflict((c) => c.columns(['target', 'hour']).doNothing())
        .executeTakeFirst()
      return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1
    },

    async markDelivered(db: Db, id: string): Promise<void> {
      await t(db).updateTable('voice_alerts').set({ delivered: 1 }).where('id', '=', id).execute()
    },

    async listAlerts(db: Db, limit: number) {
      const rows = await t(db)
        .selectFrom('voice_alerts')
        .selectAll()
        .orderBy('created_at', 'desc')
        .limit(limit)
        .execute()
      return rows.map((row) => ({
        id: row.id,
        target: row.target,
        hour: row.hour,
        count: Number(row.count),
        statistic: Number(row.statistic),
        delivered: Number(row.delivered) === 1,
        createdAt: row.created_at,
      }))
    },
  }
}
