/**
 * The coarse shopper segment logged with each answer (`recommend_answers`: jurisdiction, tenure,
 * history), so that the fairness audit can compare online view, basket and purchase rates across the
 * shopper groups Candor legitimately knows. Nothing in it names a shopper: a charter jurisdiction code,
 * new or returning, and a bucket of history length. The same buckets group shoppers offline (the
 * audit's validation split), so both sides of the audit speak of the same groups.
 *
 * Tenure and history come only from a history the answer read anyway: a personal answer reads the
 * shopper's own history; a session answer reads only the visit and an `off` answer reads nobody, so
 * theirs stay unknown (null) rather than being read for the log.
 */
import { DAY_MS } from '../../lib/clock.js'
import type { Charter } from '../charter/index.js'

/** A shopper whose first stored event is younger than this is `new`, else `returning`. */
export const NEW_SHOPPER_DAYS = 30

export type Tenure = 'new' | 'returning'
export type HistoryBucket = '0' | '1-4' | '5-19' | '20+'

export interface AnswerSegment {
  /** A jurisdiction the charter declares, else `default` (never free text from a request). */
  jurisdiction: string
  tenure: Tenure | null
  history: HistoryBucket | null
}

/** The bucket of a history of `n` item events. */
export function historyBucket(n: number): HistoryBucket {
  return n === 0 ? '0' : n < 5 ? '1-4' : n < 20 ? '5-19' : '20+'
}

/** New or returning, by the time of the shopper's first event (none yet: new). */
export function tenureOf(firstEventAt: number | undefined, now: number): Tenure {
  return firstEventAt === undefined || now - firstEventAt < NEW_SHOPPER_DAYS * DAY_MS
    ? 'new'
    : 'returning'
}

/** What a personal answer read of the shopper's own history: how many events, the first one's time. */
export interface HistoryRead {
  events: number
  firstAt: number | undefined
}

/**
 * The segment of one answer: the jurisdiction the level was decided under (kept only when the charter
 * declares it), and, when the answer read the shopper's history, their tenure and history bucket.
 *
 * @example answerSegment(charter, 'UK', { events: 7, firstAt: Date.parse('2026-01-02') }, Date.now())
 */
export function answerSegment(
  charter: Pick<Charter, 'jurisdictions'>,
  jurisdiction: string | undefined,
  read: HistoryRead | undefined,
  now: number,
): AnswerSegment {
  const declared =
    jurisdiction !== undefined && Object.hasOwn(charter.jurisdictions, jurisdiction)
      ? jurisdiction
      : 'default'
  return {
    jurisdiction: declared,
    tenure: read === undefined ? null : tenureOf(read.firstAt, now),
    history: read === undefined ? null : historyBucket(read.events),
  }
}
