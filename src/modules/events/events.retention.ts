/**
 * How long stored events serve and stay: the retention rules (pure) and the sweep that applies them.
 *
 * - An event is kept as long as its longest-kept purpose needs it (its expiry, set by the gate), but
 *   serves each purpose only for that purpose's own retention, counted from when it happened
 *   (`usableSince`). A `retentionDays: 0` purpose lasts a visit: `SESSION_TTL_MS`.
 * - The sweep (`deleteExpired`, run by the retention job) ends expired visits through the session
 *   module, deletes expired events, and takes each purpose off the events its retention no longer
 *   covers: an event left with no purpose goes, otherwise it loses the fields only that purpose
 *   declared (`narrowed`).
 */
import { DAY_MS } from '../../lib/clock.js'
import { type Db, dialectOf } from '../../storage/db.js'
import {
  type Charter,
  type PurposeKey,
  eventFieldsFor,
  retentionDaysFor,
} from '../charter/index.js'
import { SESSION_TTL_MS, type SessionService } from '../session/index.js'
import type { StoredEvent } from './events.js'
import {
  ensureMonthPartitions,
  monthOf,
  monthPlus,
  monthsFrom,
  nextMonth,
} from './events.partitions.js'
import type { EventsRepository } from './events.repository.js'
import { BUCKET_MONTHS } from './events.rows.js'

/** How long purposes kept for `days` keep an event (`0`: a visit). */
export function retentionMsOf(days: number): number {
  return days === 0 ? SESSION_TTL_MS : days * DAY_MS
}

/**
 * Where `purpose`'s own retention starts at `now`: events that happened at or before this moment no
 * longer serve it.
 */
export function usableSince(charter: Charter, purpose: PurposeKey, now: Date): string {
  return new Date(now.getTime() - retentionMsOf(retentionDaysFor(charter, [purpose]))).toISOString()
}

/** `usableSince` of every purpose the charter declares, for work that asks it per event. */
export function usableSinceAll(charter: Charter, now: Date): Map<PurposeKey, string> {
  return new Map(
    Object.keys(charter.purposes).map((purpose) => [purpose, usableSince(charter, purpose, now)]),
  )
}

/**
 * The event as `remaining` purposes may keep it: fields none of them declares are dropped. Its time
 * stays: every retention is counted from it.
 */
export function narrowed(
  charter: Charter,
  event: StoredEvent,
  remaining: PurposeKey[],
): StoredEvent {
  const keep = new Set<string>(eventFieldsFor(charter, event.type, remaining))
  const out: StoredEvent = { ...event, purposes: remaining }
  if (!keep.has('item')) delete out.item
  if (!keep.has('quantity')) delete out.quantity
  if (!keep.has('price')) delete out.price
  if (!keep.has('currency')) delete out.currency
  if (!keep.has('query')) delete out.query
  if (!keep.has('placement')) delete out.placement
  if (!keep.has('recommId')) delete out.recommId
  if (!keep.has('kind')) delete out.kind
  if (!keep.has('rating')) delete out.rating
  return out
}

/**
 * The month partitions an event stored at `now` may go to: from now's to the month after the longest
 * retention the charter declares has run, at most `BUCKET_MONTHS` on (longer-kept events share one
 * partition; `events.partitions.ts` makes these ahead).
 */
export function monthsAhead(charter: Charter, now: Date): string[] {
  const longest = retentionMsOf(retentionDaysFor(charter, Object.keys(charter.purposes)))
  const from = monthOf(now.toISOString())
  const until = monthOf(new Date(now.getTime() + Math.max(longest, SESSION_TTL_MS)).toISOString())
  const cap = monthPlus(from, BUCKET_MONTHS)
  return monthsFrom(from, nextMonth(until < cap ? until : cap))
}

export interface EventsRetentionDeps {
  charter: Charter
  repo: EventsRepository
  sessions: Pick<SessionService, 'deleteExpired'>
}

/** The retention sweep of the events module (see the file's description). */
export function createEventsRetention(deps: EventsRetentionDeps) {
  const { charter, repo } = deps
  /** Per purpose, the `usableSince` of this process's last run. */
  const purposesSweptUntil = new Map<PurposeKey, string>()

  /**
   * Takes each purpose whose own retention ended off the events it shared with longer-kept purposes.
   * Ingest stores an event only for purposes it is still within, so the events a purpose has to leave
   * are those whose time crossed its retention since the last run (looked at again from a day before,
   * in case that run was rolled back); a process's first run looks at everything.
   */
  async function endPurposes(executor: Db, now: Date) {
    const usableFrom = usableSinceAll(charter, now)
    let purposesEnded = 0
    let deleted = 0
    for (const [purpose, until] of usableFrom) {
      const last = purposesSweptUntil.get(purpose)
      const from =
        last === undefined ? undefined : new Date(Date.parse(last) - DAY_MS).toISOString()
      for (;;) {
        const page = await repo.listPurposeEnded(executor, purpose, from, until, 500)
        if (page.length === 0) break
        for (const event of page) {
          purposesEnded += 1
          const happened = event.occurredAt ?? event.receivedAt
          const remaining = event.purposes.filter(
            (p) => p !== purpose && happened > (usableFrom.get(p) ?? usableSince(charter, p, now)),
          )
          if (remaining.length === 0)
            deleted += await repo.deleteByIds(executor, event.subjectId!, [event.id])
          else await repo.narrow(executor, narrowed(charter, event, remaining))
        }
      }
      purposesSweptUntil.set(purpose, until)
    }
    return { deleted, purposesEnded }
  }

  return {
    /**
     * PostgreSQL: makes the month partitions events may expire in, ahead (`events.partitions.ts`), in
     * a transaction of its own before the sweep's (attaching one locks the default partition).
     */
    async prepareExpiry(db: Db, now: Date): Promise<void> {
      if (dialectOf(db) === 'postgres') await ensureMonthPartitions(db, monthsAhead(charter, now))
    },

    /**
     * Deletes what is past its expiry: sessions (through the session module, with their events and
     * consent records), events, and what each purpose no longer needs. Returns counts per kind; the
     * retention job calls it inside its transaction. On PostgreSQL a month whose events have all
     * expired goes as a whole partition (the events repository's `deleteExpired`).
     */
    async deleteExpired(executor: Db, now: Date): Promise<Record<string, number>> {
      // Expired visits first, each with its events and consent records (the session module's rule).
      const ended = await deps.sessions.deleteExpired(executor, now)
      let events = ended.events + (await repo.deleteExpired(executor, now.toISOString()))
      const { deleted, purposesEnded } = await endPurposes(executor, now)
      events += deleted
      return {
        events,
        sessions: ended.sessions,
        sessionConsentRecords: ended.consentRecords,
        purposesEnded,
      }
    },
  }
}
