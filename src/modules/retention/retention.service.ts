import type { Clock } from '../../lib/clock.js'
import type { Db } from '../../storage/db.js'
import type { Actor, AuditLog } from '../audit/index.js'

/** A module that keeps data with an expiry: it deletes its own expired rows and says how many. */
export interface RetentionParticipant {
  name: string
  deleteExpired(executor: Db, now: Date): Promise<Record<string, number>>
  /** Runs before the run's transaction, in transactions of its own; deletes nothing. */
  prepareExpiry?: (now: Date) => Promise<void>
}

export interface RetentionDeps {
  db: Db
  clock: Clock
  audit: AuditLog
  participants: readonly RetentionParticipant[]
}

export interface RetentionReport {
  ranAt: string
  /** Deleted rows per module and kind, e.g. `{ events: { events: 12, sessions: 2 } }`. */
  deleted: Record<string, Record<string, number>>
  total: number
}

export type RetentionService = ReturnType<typeof createRetentionService>

/**
 * Retention: deletes every record past its expiry, through each module's own `deleteExpired`, and writes
 * one audit entry per run with the counts, all in one transaction (the entry exists if and only if the
 * deletions happened). "Now" is the injected clock's, so tests move time instead of sleeping.
 *
 * Not expired here, by design: the consent ledger (the proof of what a shopper agreed to, and deleting an
 * old denial could revive a default) and the audit log (append-only, hash-chained, pseudonymous). Both
 * are removed for a subject only by erasure. Consent records kept under an anonymous session's
 * pseudonym are the exception: they go with the session.
 */
export function createRetentionService(deps: RetentionDeps) {
  return {
    async run(actor: Actor = { kind: 'system', name: 'retention' }): Promise<RetentionReport> {
      const now = deps.clock.now()
      // Before the transaction: what a participant makes ahead (a partition) locks briefly on its own
      // instead of for the whole run.
      for (const participant of deps.participants) await participant.prepareExpiry?.(now)
      return deps.db.transaction().execute(async (trx) => {
        const deleted: Record<string, Record<string, number>> = {}
        let total = 0
        for (const participant of deps.participants) {
          const counts = await participant.deleteExpired(trx, now)
          deleted[participant.name] = counts
          for (const n of Object.values(counts)) total += n
        }
        await deps.audit.record(trx, {
          actor,
          action: 'retention.run',
          details: { deleted, total, before: now.toISOString() },
        })
        return { ranAt: now.toISOString(), deleted, total }
      })
    },
  }
}
