/**
 * What other modules read of stored events: recommend's per-request histories (which the repository
 * answers from its copies, `events.cache.ts`), training's pages per purpose, and online quality's
 * citations. Every reader leaves out what expired, and what a purpose reads is only what is still within
 * that purpose's own retention (`usableSince`).
 */
import type { Clock } from '../../lib/clock.js'
import type { Db } from '../../storage/db.js'
import type { Charter, PurposeKey } from '../charter/index.js'
import type { StoredEvent, SubjectItemEvent } from './events.js'
import type { EventKey, EventsRepository, ItemEvent } from './events.repository.js'
import { usableSince } from './events.retention.js'

export interface EventReadersDeps {
  db: Db
  clock: Clock
  charter: Charter
  repo: EventsRepository
}

/** The per-request reads of recommend and online quality. */
function createHistoryReaders(deps: EventReadersDeps) {
  return {
    /**
     * Views, carts and purchases received since `since` that cite a recommendation answer (`recommId`):
     * the answer, the type and the item, never whose they were. Online quality is counted from them.
     */
    async listCitations(since: string) {
      return deps.repo.listCitations(deps.db, since, deps.clock.now().toISOString())
    },

    /** A subject's unexpired events, oldest first: what `personal` recommendations may read. */
    async listSubjectEvents(
      subjectId: string,
      options: { limit?: number } = {},
    ): Promise<readonly StoredEvent[]> {
      return deps.repo.listByOwner(deps.db, subjectId, deps.clock.now().toISOString(), options)
    },

    /**
     * `listSubjectEvents` reduced to the events that name an item and the fields a recommendation
     * reads (type, item, times, purposes), same order: the per-request read of `personal` answers.
     */
    async listSubjectItemEvents(subjectId: string, purpose: PurposeKey): Promise<ItemEvent[]> {
      const now = deps.clock.now()
      const nowIso = now.toISOString()
      const since = usableSince(deps.charter, purpose, now)
      const events = await deps.repo.listItemEventsByOwner(deps.db, subjectId, nowIso, {
        purpose,
        since,
      })
      // The database sends only these; a copy read earlier (`events.cache.ts`) may hold older ones.
      return events.filter(
        (e) => e.purposes.includes(purpose) && (e.occurredAt ?? e.receivedAt) > since,
      )
    },

    /** A session's unexpired events (by pseudonym, the session module's `keyOf`): what `session` level reads. */
    async listSessionEvents(
      sessionKey: string,
      options: { limit?: number } = {},
    ): Promise<readonly StoredEvent[]> {
      return deps.repo.listByOwner(deps.db, sessionKey, deps.clock.now().toISOString(), options)
    },
  }
}

/** Training's reads: every event of a purpose, a page at a time in key order. */
function createPurposeReaders(deps: EventReadersDeps) {
  return {
    /**
     * Every unexpired subject event stored for `purpose` (default: personalized recommendations, which
     * includes training), a page at a time in a stable order. Session events are never included.
     * Callers still check each subject's current consent: a withdrawal stops use before retention runs.
     */
    async *readEventsForPurpose(
      purpose: PurposeKey = 'personalize.recommendations',
      pageSize = 5000,
    ): AsyncGenerator<StoredEvent[]> {
      const now = deps.clock.now()
      const since = usableSince(deps.charter, purpose, now)
      let after: { owner: string; eventId: string } | undefined
      for (;;) {
        const page = await deps.repo.listForPurpose(
          deps.db,
          purpose,
          now.toISOString(),
          since,
          after,
          pageSize,
        )
        if (page.length === 0) return
        yield page
        const last = page.at(-1)!
        after = { owner: last.subjectId ?? '', eventId: last.id }
        if (page.length < pageSize) return
      }
    },

    /**
     * `readEventsForPurpose` narrowed to what training reads: the events that name an item, with whose
     * they are, their type and times only (a fraction of a `StoredEvent`'s memory and cost), a page at a
     * time in the same order. Callers still check each subject's current consent.
     */
    async *readItemEventsForPurpose(
      purpose: PurposeKey = 'personalize.recommendations',
      pageSize = 5000,
    ): AsyncGenerator<SubjectItemEvent[]> {
      const now = deps.clock.now()
      const since = usableSince(deps.charter, purpose, now)
      let after: EventKey | undefined
      do {
        const page = await deps.repo.listItemEventsForPurpose(
          deps.db,
          purpose,
          now.toISOString(),
          since,
          after,
          pageSize,
        )
        if (page.events.length > 0) yield page.events
        after = page.next
      } while (after !== undefined)
    },
  }
}

export function createEventReaders(deps: EventReadersDeps) {
  return { ...createHistoryReaders(deps), ...createPurposeReaders(deps) }
}
