import { type ChangeFeed, createOwnerCache } from '../../storage/changes.js'
import type { Db } from '../../storage/db.js'
import type { FeedbackRow, RecommendRepository } from './recommend.repository.js'

/** Owners whose rankings are kept: a bound on memory (each keeps a few, see `answer.ts`). */
const MAX_RANKED_OWNERS = 5000

/**
 * The recommend module's in-memory copies, all kept in step with the `ChangeFeed` (the writes of every
 * module announce the owners they touched, see `owner-writes.ts`):
 *
 * - behind the repository's own interface (`createRecommendCache`): a shopper's feedback rows, read on
 *   every answer. A read outside a transaction (on `db`) may be answered from a copy; one inside a
 *   transaction always goes to the database.
 * - the rankings an answer made for an owner (`createRankingsCache`), kept while nothing of the owner's
 *   changes: not rows but what was made from them (their events, feedback, consent, settings), dropped
 *   whenever any of those is announced for the owner.
 */
export function createRecommendCache(
  repo: RecommendRepository,
  changes: ChangeFeed,
  db: Db,
): RecommendRepository {
  const feedback = createOwnerCache<readonly FeedbackRow[]>(changes)
  return {
    ...repo,
    async listFeedback(executor, owner) {
      if (executor !== db) return repo.listFeedback(executor, owner)
      return feedback.get(owner, () => repo.listFeedback(executor, owner))
    },
  }
}

/**
 * Per owner, a map of what `answer.ts` ranked for each of their questions. Take the map before anything
 * of the owner is read: a change meanwhile drops this map, not the next one.
 */
export function createRankingsCache<R>(changes: ChangeFeed) {
  const rankings = createOwnerCache<Map<string, R>>(changes, { max: MAX_RANKED_OWNERS })
  return {
    of: (owner: string): Promise<Map<string, R>> => rankings.get(owner, async () => new Map()),
  }
}
