import { type ChangeFeed, createOwnerCache } from '../../storage/changes.js'
import type { Db } from '../../storage/db.js'
import type { PromptShown } from './consent.js'
import type { ConsentRepository, Ledger } from './consent.repository.js'

/**
 * The consent module's in-memory copies, behind the repository's own interface: a read outside a
 * transaction (on `db`) may be answered from a copy kept in step with the `ChangeFeed` (the writes
 * announce the subject or session they touched, see `owner-writes.ts`); a read inside a transaction
 * always goes to the database.
 *
 * Copied, because every recommendation and every event batch asks them: a subject's (or session's)
 * ledger (settings and records, also when there are none) and the prompts shown to them. A copy of a
 * ledger is one object for as long as it is kept, which the settings views decided from it rely on
 * (`consent.ledger.ts`, `decidedFor`).
 */
export function createConsentCache(
  repo: ConsentRepository,
  changes: ChangeFeed,
  db: Db,
): ConsentRepository {
  const ledgers = createOwnerCache<Ledger>(changes)
  const promptsShown = createOwnerCache<readonly PromptShown[]>(changes)
  return {
    ...repo,
    async findLedger(executor, subjectId) {
      if (executor !== db) return repo.findLedger(executor, subjectId)
      return ledgers.get(subjectId, () => repo.findLedger(executor, subjectId))
    },
    async findLedgers(executor, subjectIds) {
      if (executor !== db) return repo.findLedgers(executor, subjectIds)
      return ledgers.getMany(subjectIds, (missing) => repo.findLedgers(executor, missing))
    },
    async listPromptsShown(executor, subjectId) {
      if (executor !== db) return repo.listPromptsShown(executor, subjectId)
      return promptsShown.get(subjectId, () => repo.listPromptsShown(executor, subjectId))
    },
  }
}
