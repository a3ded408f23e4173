/**
 * Who trains: a lease on the `train` row of `recommend_model_locks`, so that one process at a time
 * trains, whichever engine (several processes share one SQLite file in cluster mode, or one PostgreSQL
 * database). The holder renews it while training; a holder that dies leaves it to run out. This is the
 * one place the recommend module decides who trains: when the jobs table's lease runs training, it
 * replaces this file.
 */
import { randomUUID } from 'node:crypto'
import type { Clock } from '../../lib/clock.js'
import type { Db } from '../../storage/db.js'
import type { ModelRepository } from './model.repository.js'

/** How long the lease lasts without a renewal: a process that died mid-training is waited out this long. */
export const TRAINING_LEASE_MS = 60_000
/** How often the holder renews it while training. */
const RENEW_EVERY_MS = 15_000
/** How often a process waiting for another's training looks again. */
export const WAIT_POLL_MS = 500

export interface TrainingLease {
  /** Who this holder is (one per model holder, so two in one process are two holders). */
  readonly holder: string
  /**
   * Runs `work` holding the lease, renewed meanwhile, and gives it back after; undefined at once (and
   * `work` not run) when another holder has it.
   */
  whileHeld<T>(work: () => Promise<T>): Promise<{ value: T } | undefined>
  /** Whether some other holder has the lease now (not expired). */
  heldByAnother(): Promise<boolean>
}

export function createTrainingLease(deps: {
  db: Db
  clock: Clock
  repo: ModelRepository
}): TrainingLease {
  const holder = `mh_${randomUUID()}`
  const take = () => {
    const now = deps.clock.now()
    return deps.repo.takeLease(
      deps.db,
      'train',
      holder,
      now.toISOString(),
      new Date(now.getTime() + TRAINING_LEASE_MS).toISOString(),
    )
  }
  return {
    holder,
    async whileHeld(work) {
      if (!(await take())) return undefined
      const renewal = setInterval(() => void take().catch(() => undefined), RENEW_EVERY_MS)
      renewal.unref()
      try {
        return { value: await work() }
      } finally {
        clearInterval(renewal)
        await deps.repo.releaseLease(deps.db, 'train', holder)
      }
    },
    async heldByAnother() {
      const { holder: by, expiresAt } = await deps.repo.readLease(deps.db, 'train')
      return (
        by !== null &&
        by !== holder &&
        expiresAt !== null &&
        expiresAt >= deps.clock.now().toISOString()
      )
    },
  }
}
