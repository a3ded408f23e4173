import type { Clock } from '../../lib/clock.js'
import type { ChangeFeed } from '../../storage/changes.js'
import type { Db } from '../../storage/db.js'
import type { AuditLog } from '../audit/index.js'
import { type Charter, aggregateAnalyticsPurposes } from '../charter/index.js'
import type { ConsentService } from '../consent/index.js'
import type { IdentityService } from '../identity/index.js'
import type { SessionService } from '../session/index.js'
import type { StoredEvent } from './events.js'
import { type CheckpointRow, checkpointsRepository } from './events.checkpoints.js'
import { type IngestDeps, createIngest } from './events.ingest.js'
import { createEventsCache } from './events.cache.js'
import { createEventReaders } from './events.readers.js'
import { type ItemDemandDay, readItemDemand } from './events.demand.repository.js'
import { createEventsRepository } from './events.repository.js'
import { createEventsRetention } from './events.retention.js'

export type { IngestOptions } from './events.ingest.js'

export interface EventsDeps {
  db: Db
  changes: ChangeFeed
  clock: Clock
  charter: Charter
  audit: AuditLog
  /** The session module: a visit's pseudonym, its row, opening it, and its expiry. */
  sessions: Pick<SessionService, 'keyOf' | 'find' | 'open' | 'deleteExpired'>
  identity: Pick<IdentityService, 'findSubjectIds' | 'ensureSubjectId'>
  consent: Pick<ConsentService, 'contextFor' | 'contextsFor' | 'observeSignals'>
  /** The vendor outbox step of ingest (see `IngestDeps.shareWithVendors`); none: nothing is shared. */
  shareWithVendors?: NonNullable<IngestDeps['shareWithVendors']>
}

export type EventsService = ReturnType<typeof createEventsService>

/**
 * The events module's service, composed of one part per lifecycle:
 *
 * - `ingest` (`events.ingest.ts`): read the owners and their consent, pass the batch through the gate
 *   (`events.gate.ts`, the file that holds every rule about what is kept), write what it keeps in one
 *   transaction with the audit entry.
 * - readers (`events.readers.ts`): what recommend, training and online quality read.
 * - rights: export, erasure and rectification of a subject's events (below).
 * - retention (`events.retention.ts`): expired visits, expired events, purposes past their retention.
 * - import checkpoints (below), for the order import (`events.import.ts`).
 *
 * Anonymous visitors state their choices through consent records kept under the session pseudonym
 * (the consent module's `sessions`); they, the session's events and the session go together when the
 * session ends or expires (the session module).
 */
export function createEventsService(deps: EventsDeps) {
  // Reads outside a transaction may be answered from the copies (`events.cache.ts`).
  const repo = createEventsCache(createEventsRepository(deps.changes), deps.changes, deps.db)
  const { charter, db } = deps
  const retention = createEventsRetention({ charter, repo, sessions: deps.sessions })

  return {
    ingest: createIngest({ ...deps, repo }),
    ...createEventReaders({ ...deps, repo }),

    /**
     * Demand per item and day over `[from, to)`, every owner together (no owner leaves: see
     * `events.demand.repository.ts`), from events stored for the charter's aggregate-analytics purposes.
     */
    async readItemDemand(from: string, to: string): Promise<ItemDemandDay[]> {
      const purposes = aggregateAnalyticsPurposes(charter)
      return readItemDemand(db, { purposes, from, to, now: deps.clock.now().toISOString() })
    },

    /**
     * Rectification: the events the subject says are not theirs (a shared account, a gift bought for
     * someone else) are deleted, so the next recommendation no longer reads them.
     */
    async deleteSubjectEvents(executor: Db, subjectId: string, eventIds: readonly string[]) {
      return { events: await repo.deleteByIds(executor, subjectId, eventIds) }
    },

    /** Everything stored on a subject, for access and portability requests. */
    async exportSubject(subjectId: string): Promise<{ events: StoredEvent[] }> {
      return { events: await repo.listAllByOwner(db, subjectId) }
    },

    /** Deletes all of a subject's events (erasure); returns how many went. */
    async eraseSubject(executor: Db, subjectId: string): Promise<{ events: number }> {
      return { events: await repo.deleteByOwner(executor, subjectId) }
    },

    /** The retention sweep (`events.retention.ts`); the retention job runs it in its transaction. */
    deleteExpired: (executor: Db, now: Date) => retention.deleteExpired(executor, now),
    /** Before the sweep: the month partitions ahead, on PostgreSQL (`events.retention.ts`). */
    prepareExpiry: (now: Date) => retention.prepareExpiry(db, now),

    /** Import checkpoints (used by the order import). */
    checkpoints: {
      find: (fileHash: string) => checkpointsRepository.find(db, fileHash),
      save: (executor: Db, row: CheckpointRow) => checkpointsRepository.save(executor, row),
      remove: (fileHash: string) => checkpointsRepository.remove(db, fileHash),
    },
  }
}
