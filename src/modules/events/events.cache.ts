import { type ChangeFeed, type OwnerCache, createOwnerCache } from '../../storage/changes.js'
import type { Db } from '../../storage/db.js'
import { SESSION_PREFIX } from '../session/index.js'
import type { StoredEvent } from './events.js'
import type { EventsRepository, ItemEvent } from './events.repository.js'

/** A copy read earlier, without what expired since (retention deletes the rows later). */
function unexpired<T extends { expiresAt: string }>(
  events: readonly T[],
  now: string,
): readonly T[] {
  return events.every((e) => e.expiresAt > now) ? events : events.filter((e) => e.expiresAt > now)
}

/**
 * The events module's in-memory copies, behind the repository's own interface: a read outside a
 * transaction (on `db`) may be answered from a copy kept in step with the `ChangeFeed` (the writes
 * announce the owners they touched, see `owner-writes.ts`); a read inside a transaction always goes to
 * the database. A copy is answered without what expired since it was read.
 *
 * Copied, because the recommendation path reads them on every request: an owner's item events
 * (`listItemEventsByOwner`, per purpose) and a session's whole history (`listByOwner` of a session, without a limit).
 * Histories are the large copies: a few thousand owners' worth at most (the most recently served).
 */
export function createEventsCache(
  repo: EventsRepository,
  changes: ChangeFeed,
  db: Db,
): EventsRepository {
  // One cache per purpose (the few a recommendation reads), each keyed by owner: a copy holds that
  // purpose's usable events, and a write elsewhere leaves a read of this owner in flight keepable.
  const itemHistories = new Map<string, OwnerCache<readonly ItemEvent[]>>()
  const itemHistoriesFor = (purpose: string) => {
    let cache = itemHistories.get(purpose)
    if (cache === undefined)
      itemHistories.set(purpose, (cache = createOwnerCache(changes, { max: 2000 })))
    return cache
  }
  const sessionHistories = createOwnerCache<readonly StoredEvent[]>(changes, { max: 2000 })
  return {
    ...repo,
    async listItemEventsByOwner(executor, owner, now, usable) {
      if (executor !== db) return repo.listItemEventsByOwner(executor, owner, now, usable)
      // Read with an older `since`, a copy holds more than a fresh read would: the reader filters it.
      const copy = await itemHistoriesFor(usable.purpose).get(owner, () =>
        repo.listItemEventsByOwner(executor, owner, now, usable),
      )
      return unexpired(copy, now)
    },
    async listByOwner(executor, owner, now, options = {}) {
      if (executor !== db || options.limit !== undefined || !owner.startsWith(SESSION_PREFIX))
        return repo.listByOwner(executor, owner, now, options)
      const copy = await sessionHistories.get(owner, () => repo.listByOwner(executor, owner, now))
      return unexpired(copy, now)
    },
  }
}
