/**
 * The answer log (`recommend_answers`: answer id, level, placement, item ids and the coarse segment of
 * `answer-segment.ts`; no owner, no personal data) and the online quality measured from it: what
 * shoppers did with the answers they were given, cited by the `recommId` of their later events and
 * "not this" feedback (see `online-quality.ts` for the figures).
 */
import type { Clock } from '../../lib/clock.js'
import { DAY_MS } from '../../lib/clock.js'
import type { Db } from '../../storage/db.js'
import type { EventsService } from '../events/index.js'
import { type AttributedAction, type Citation, attribute, onlineQuality } from './online-quality.js'
import { ANSWER_LOG_DAYS, type OnlineQuality } from './recommend.js'
import type { AnswerRow, createRecommendRepository } from './recommend.repository.js'

/**
 * The log is written in batches, at most this long after the answer, and when the app closes. A crash
 * can lose the last second of the log; it only feeds measurement, never a decision about a shopper.
 */
const ANSWER_FLUSH_MS = 1000
/** Answers per write of the answer log (one statement of 8 parameters each on PostgreSQL: under its limit). */
const ANSWER_CHUNK = 500

export interface AnswerLogDeps {
  db: Db
  clock: Clock
  events: EventsService
  repo: ReturnType<typeof createRecommendRepository>
}

export type AnswerLog = ReturnType<typeof createAnswerLog>

export function createAnswerLog(deps: AnswerLogDeps) {
  let pending: AnswerRow[] = []
  let flushTimer: ReturnType<typeof setTimeout> | undefined
  let flushing: Promise<void> = Promise.resolve()

  /** Writes the buffered answers; one flush at a time, in order. Never rejects (see `ANSWER_FLUSH_MS`). */
  function flush(): Promise<void> {
    if (flushTimer !== undefined) clearTimeout(flushTimer)
    flushTimer = undefined
    const rows = pending
    pending = []
    flushing = flushing.then(async () => {
      for (let k = 0; k < rows.length; k += ANSWER_CHUNK) {
        try {
          await deps.repo.insertAnswers(deps.db, rows.slice(k, k + ANSWER_CHUNK))
        } catch {
          // The database is gone (shut down) or refused the batch: the rows are dropped, nothing else
          // depends on them.
        }
      }
    })
    return flushing
  }

  /** Events and "not this" feedback received since `since` that cite an answer. */
  async function citationsSince(since: string): Promise<Citation[]> {
    return [
      ...(await deps.events.listCitations(since)).map((e) => ({
        recommId: e.recommId,
        action: e.type,
        item: e.item,
      })),
      ...(await deps.repo.listNotInterestedCitations(deps.db, since)).map((f) => ({
        recommId: f.recommId,
        action: 'not_interested' as const,
        item: f.item,
      })),
    ]
  }

  /** The logged answers (since `since`) that the citations name. */
  async function citedAnswers(citations: readonly Citation[], since: string) {
    return deps.repo.findAnswers(deps.db, [...new Set(citations.map((c) => c.recommId))], since)
  }

  return {
    /** Buffers one answer for the log (written within `ANSWER_FLUSH_MS`). */
    add(row: AnswerRow): void {
      pending.push(row)
      if (flushTimer === undefined) {
        flushTimer = setTimeout(() => void flush(), ANSWER_FLUSH_MS)
        // The log must not keep a CLI command or a test process alive; closing the app flushes it.
        flushTimer.unref()
      }
    },

    flush,

    /**
     * What shoppers did with the answers of the last `days` days (UTC days, today included; at most
     * `ANSWER_LOG_DAYS`, what the log keeps).
     */
    async onlineQuality(days: number): Promise<OnlineQuality> {
      await flush()
      const until = deps.clock.now()
      const firstDay = Math.floor(until.getTime() / DAY_MS) - (Math.min(days, ANSWER_LOG_DAYS) - 1)
      const since = new Date(firstDay * DAY_MS).toISOString()
      const citations = await citationsSince(since)
      return onlineQuality({
        since,
        until: until.toISOString(),
        answerCounts: await deps.repo.countAnswers(deps.db, since.slice(0, 10)),
        cited: await citedAnswers(citations, since),
        citations,
      })
    },

    /**
     * The actions taken on answers (view, cart, purchase, "not this") cited since `since`, by the same
     * rule as online quality (`attribute`): what experiments count their outcomes from. Citations of
     * answers older than `answersSince` (default: `since`) count for nothing.
     */
    async attributedSince(since: string, answersSince = since): Promise<AttributedAction[]> {
      await flush()
      const citations = await citationsSince(since)
      return attribute(await citedAnswers(citations, answersSince), citations).map((a) => a.action)
    },
  }
}
