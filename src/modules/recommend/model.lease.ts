/**
 * Who trains: a lease on the `train` row of `recommend_model_locks`, so that one process at a time
 * trains, whichever engine (several processes share one SQLite file in cluster mode, or one PostgreSQL
 * database), and whoever asks: the scheduled job, `POST /v1/admin/train`, `candor train` in a process
 * of its own, or a first answer with no stored model. The holder renews it while training and gives it
 * back after.
 *
 * Why a lease of its own beside the job table's (`src/modules/jobs/`): the job's lease decides which
 * process runs the *scheduled* `recommend.train` job, and only the runner holds it; the admin route,
 * `candor train` and a first answer train outside the runner, and must still train once between them
 * and the job. The job's run takes this lease inside its own (always in that order, so they cannot wait
 * on each other). A holder that dies leaves it to run out (60 s), unless a waiting process can prove it
 * dead (`isHolderDead`: a process on the same machine that is gone or restarted), which frees it at once.
 */
import { createHash, randomUUID } from 'node:crypto'
import type { Clock } from '../../lib/clock.js'
import type { Db } from '../../storage/db.js'
import { type LeaseHolder, currentHolder, isHolderDead } from '../jobs/index.js'
import type { ModelRepository } from './model.repository.js'

/** The machine, boot and process-id namespace of a holder, hashed short (the column holds 64 characters). */
function placeOf(holder: LeaseHolder): string {
  return createHash('sha256')
    .update(JSON.stringify([holder.host, holder.boot, holder.ns]))
    .digest('hex')
    .slice(0, 12)
}

/**
 * The stored holder: where it runs, its process id and start time, and this model holder's own id (two
 * model holders of one process are two holders), about 60 characters.
 */
export function formatModelHolder(self: LeaseHolder): string {
  return `${placeOf(self)} ${self.pid} ${self.start} mh_${randomUUID().replaceAll('-', '').slice(0, 12)}`
}

/**
 * The process of a stored holder, when it runs where this one does (same machine, boot and namespace);
 * undefined otherwise or when it cannot be read, so that its lease is waited out.
 */
function processOf(holder: string, self: LeaseHolder): LeaseHolder | undefined {
  const [place, pid, start, own] = holder.split(' ')
  if (place !== placeOf(self) || own === undefined || start === undefined) return undefined
  if (!/^\d+$/.test(pid ?? '')) return undefined
  return { ...self, pid: Number(pid), start }
}

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
  /**
   * Whether some other holder has the lease now (not expired); a holder provably dead has it freed
   * (then false).
   */
  heldByAnother(): Promise<boolean>
}

export function createTrainingLease(deps: {
  db: Db
  clock: Clock
  repo: ModelRepository
}): TrainingLease {
  const self = currentHolder()
  const holder = formatModelHolder(self)
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
      if (by === null || by === holder || expiresAt === null) return false
      if (expiresAt < deps.clock.now().toISOString()) return false
      const other = processOf(by, self)
      if (other === undefined || !isHolderDead(other, self)) return true
      // Freed only while that dead holder still has it (one statement), so a live taker keeps it.
      await deps.repo.releaseLease(deps.db, 'train', by)
      return false
    },
  }
}
