import { type ChangeFeed, createOwnerCache } from '../../storage/changes.js'
import type { Db } from '../../storage/db.js'
import type { FoundRef, IdentityRepository } from './identity.repository.js'

/**
 * The identity module's in-memory copies, behind the repository's own interface: the service reads
 * through this as it would through the repository, and a read outside a transaction (on `db`) may be
 * answered from a copy kept in step with the `ChangeFeed` (the writes announce whom they touched, see
 * `owner-writes.ts`). A read inside a transaction always goes to the database.
 *
 * Copied: which subject a reference's active hash points to, and that nobody has it (a lookup nobody
 * answers is remembered too, until a subject takes the hash: `insertRefHash` names the hash as well as
 * the subject).
 */
export function createIdentityCache(
  repo: IdentityRepository,
  changes: ChangeFeed,
  db: Db,
): IdentityRepository {
  const known = createOwnerCache<FoundRef | null>(changes, {
    ownerOf: (found, hash) => found?.subjectId ?? hash,
  })
  return {
    ...repo,
    async findByActiveHashes(executor, actives, hashesOf) {
      if (executor !== db) return repo.findByActiveHashes(executor, actives, hashesOf)
      const copies = await known.getMany(actives, async (missing) => {
        const found = await repo.findByActiveHashes(executor, missing, hashesOf)
        return new Map(missing.map((active) => [active, found.get(active) ?? null]))
      })
      const out = new Map<string, FoundRef>()
      for (const [active, found] of copies) if (found !== null) out.set(active, found)
      return out
    },
  }
}
