import type { Clock } from '../../lib/clock.js'
import { AppError } from '../../lib/errors.js'
import type { Db } from '../../storage/db.js'
import type { Actor, AuditLog } from '../audit/index.js'
import { type Charter, transferBasis } from '../charter/index.js'
import type { DeliveryStatus, VendorsRepository } from './vendors.repository.js'
import { type Destination, type OutboxEntry, sharesOfEntry } from './vendors.share.js'
import type { DeliveryView, OverdueDeletion, SubjectSharing, VendorStatus } from './vendors.js'

export interface VendorsStaffDeps {
  db: Db
  clock: Clock
  charter: Charter
  audit: AuditLog
  repo: VendorsRepository
  destinations: readonly Destination[]
  pseudonymOf: (vendor: string, owner: string) => string
}

const list = (value: string) => (value === '' ? [] : value.split(','))

/** What staff and the shopper see of sharing: counts, deliveries, replay, overdue, export, erasure. */
export function createVendorsStaff(deps: VendorsStaffDeps) {
  const { repo, db } = deps
  const configured = new Set(deps.destinations.map((d) => d.vendor))
  const now = () => deps.clock.now().toISOString()

  async function mustFindVendor(vendor: string) {
    const declared = deps.charter.vendors[vendor]
    if (declared === undefined)
      throw new AppError('not_found', `The charter declares no vendor ${vendor}`)
    return declared
  }

  return {
    /** Every charter vendor with its delivery and deletion counts (`GET /v1/vendors`). */
    async status(): Promise<VendorStatus[]> {
      const counts = await repo.counts(db, now())
      return Object.entries(deps.charter.vendors).map(([vendor, declared]) => {
        const c = counts.get(vendor)
        return {
          vendor,
          name: declared.name,
          country: declared.country,
          transfer: transferBasis(declared),
          purposes: declared.purposes,
          destination: configured.has(vendor),
          sent: c?.sent ?? 0,
          pending: c?.pending ?? 0,
          failed: c?.failed ?? 0,
          deadLettered: c?.deadLettered ?? 0,
          withdrawn: c?.withdrawn ?? 0,
          deletionsPending: c?.deletionsPending ?? 0,
          deletionsOverdue: c?.deletionsOverdue ?? 0,
        }
      })
    },

    /** A vendor's deliveries in one state, newest first, without owner, pseudonym or values. */
    async deliveries(
      vendor: string,
      status: DeliveryStatus,
      limit: number,
    ): Promise<DeliveryView[]> {
      await mustFindVendor(vendor)
      return (await repo.listDeliveries(db, vendor, status, limit)).map((r) => ({
        id: r.id,
        eventType: r.event_type,
        purposes: list(r.purposes),
        fields: list(r.fields),
        status: r.status,
        attempts: r.attempts,
        lastError: r.last_error,
        createdAt: r.created_at,
        sentAt: r.sent_at,
      }))
    },

    /**
     * Puts a dead-lettered delivery back in the queue with its tries reset; consent is checked again
     * when it is sent, like any other. 404 for an unknown one, 409 unless it is dead-lettered.
     */
    async replay(vendor: string, id: string, actor: Actor): Promise<DeliveryView> {
      await mustFindVendor(vendor)
      const row = await repo.findDelivery(db, vendor, id)
      if (row === undefined) throw new AppError('not_found', `No delivery ${id} to ${vendor}`)
      if (row.status !== 'dead')
        throw new AppError(
          'conflict',
          `Delivery ${id} is ${row.status}; only a dead-lettered one is replayed`,
        )
      await db.transaction().execute(async (trx) => {
        await repo.updateDelivery(trx, row, {
          status: 'pending',
          attempts: 0,
          next_attempt_at: now(),
        })
        await deps.audit.record(trx, {
          actor,
          action: 'vendors.delivery.replayed',
          details: { vendor, delivery: id },
        })
      })
      return {
        id,
        eventType: row.event_type,
        purposes: list(row.purposes),
        fields: list(row.fields),
        status: 'pending',
        attempts: 0,
        lastError: row.last_error,
        createdAt: row.created_at,
        sentAt: null,
      }
    },

    /** Deletion requests past their due time that no vendor has acknowledged (console, privacy audit). */
    async overdueDeletions(): Promise<OverdueDeletion[]> {
      return (await repo.listOverdueDeletions(db, now())).map((r) => ({
        id: r.id,
        vendor: r.vendor,
        reason: r.reason,
        attempts: r.attempts,
        lastError: r.last_error,
        createdAt: r.created_at,
        dueAt: r.due_at,
      }))
    },

    /**
     * For access requests: which vendor received what (event type, fields, purposes) and when, and
     * what is still in the outbox (pending, as the delivery job will queue it).
     */
    async exportSubject(subjectId: string): Promise<SubjectSharing> {
      const deliveries = await repo.listOwnerDeliveries(db, subjectId)
      const deletions = await repo.listOwnerDeletions(db, subjectId)
      const queued: SubjectSharing['deliveries'] = (
        await repo.listOwnerOutbox(db, subjectId)
      ).flatMap((row) =>
        (JSON.parse(row.events) as OutboxEntry[]).flatMap((entry) =>
          sharesOfEntry(deps.charter, entry).map((share) => ({
            vendor: share.vendor,
            vendorName: deps.charter.vendors[share.vendor]?.name ?? share.vendor,
            pseudonym: deps.pseudonymOf(share.vendor, subjectId),
            eventType: entry.type,
            purposes: share.purposes,
            fields: share.fields,
            status: 'pending',
            createdAt: row.created_at,
            sentAt: null,
          })),
        ),
      )
      const sent: SubjectSharing['deliveries'] = deliveries.map((r) => ({
        vendor: r.vendor,
        vendorName: deps.charter.vendors[r.vendor]?.name ?? r.vendor,
        pseudonym: r.pseudonym,
        eventType: r.event_type,
        purposes: list(r.purposes),
        fields: list(r.fields),
        status: r.status,
        createdAt: r.created_at,
        sentAt: r.sent_at,
      }))
      return {
        deliveries: [...sent, ...queued],
        deletionRequests: deletions.map((r) => ({
          vendor: r.vendor,
          reason: r.reason,
          status: r.status,
          createdAt: r.created_at,
          dueAt: r.due_at,
          acknowledgedAt: r.acknowledged_at,
        })),
      }
    },

    /** Erasure's last step here: the subject's delivery log and queued deliveries go. */
    async eraseDeliveries(executor: Db, subjectId: string): Promise<number> {
      return repo.deleteOwnerDeliveries(executor, subjectId)
    },

    /** Retention: a visit's delivery log goes when its events would have. */
    async deleteExpired(executor: Db, at: Date): Promise<Record<string, number>> {
      return {
        vendorDeliveries: await repo.deleteExpiredSessionDeliveries(executor, at.toISOString()),
      }
    },
  }
}
