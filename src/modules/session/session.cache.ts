import { type ChangeFeed, createOwnerCache } from '../../storage/changes.js'
import type { Db } from '../../storage/db.js'
import type { SessionRow } from './session.js'
import type { SessionRepository } from './session.repository.js'

/**
 * The session module's in-memory copies, behind the repository's own interface: a read outside a
 * transaction (on `db`) may be answered from a copy kept in step with the `ChangeFeed` (the writes
 * announce the session they touched, see `owner-writes.ts`); a read inside a transaction always goes to
 * the database.
 *
 * Copied: the session rows (and that a session has none), which the recommendation path asks about on
 * every request.
 */
export function createSessionCache(
  repo: SessionRepository,
  changes: ChangeFeed,
  db: Db,
): SessionRepository {
  const sessionRows = createOwnerCache<SessionRow | null>(changes)
  return {
    ...repo,
    async findSessions(executor, keys) {
      if (executor !== db) return repo.findSessions(executor, keys)
      const copies = await sessionRows.getMany(keys, async (missing) => {
        const found = await repo.findSessions(executor, missing)
        return new Map(missing.map((key) => [key, found.get(key) ?? null]))
      })
      const out = new Map<string, SessionRow>()
      for (const [key, row] of copies) if (row !== null) out.set(key, row)
      return out
    },
  }
}
