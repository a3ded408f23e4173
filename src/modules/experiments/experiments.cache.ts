import { type ChangeFeed, createOwnerCache } from '../../storage/changes.js'
import type { Db } from '../../storage/db.js'
import {
  EXPERIMENTS_OWNER,
  type ExperimentsRepository,
  type RunningExperiment,
} from './experiments.repository.js'

/**
 * The experiments module's in-memory copy, behind the repository's own interface: the running
 * experiments (only what assignment needs), which every signed-in answer above `off` asks for. A read
 * outside a transaction (on `db`) may be answered from the copy, kept in step with the `ChangeFeed`:
 * the writes of `experiments` announce `EXPERIMENTS_OWNER` (`experiments.repository.ts`), here at once
 * and to the other processes on commit (PostgreSQL: NOTIFY; SQLite: `data_version` and the watched
 * writes count); a read inside a transaction always goes to the database. Enrolments and exposures are
 * not copied.
 */
export function createExperimentsCache(
  repo: ExperimentsRepository,
  changes: ChangeFeed,
  db: Db,
): ExperimentsRepository {
  const running = createOwnerCache<readonly RunningExperiment[]>(changes)
  return {
    ...repo,
    async listRunning(executor) {
      if (executor !== db) return repo.listRunning(executor)
      return running.get(EXPERIMENTS_OWNER, () => repo.listRunning(executor))
    },
  }
}
