import type { VendorSettings } from '../../config.vendors.js'
import type { Clock } from '../../lib/clock.js'
import { newSortableId } from '../../lib/ids.js'
import type { Db } from '../../storage/db.js'
import type { Charter, EventType } from '../charter/index.js'
import { type ConsentContext, type ConsentService, decideConsent } from '../consent/index.js'
import type {
  DeletionReason,
  DeletionRow,
  DeliveryRow,
  VendorsRepository,
} from './vendors.repository.js'
import type { Send } from './vendors.send.js'
import {
  type Destination,
  backoffMs,
  deletionBody,
  deliveryBody,
  minimize,
  type OutboxEntry,
  sharesOfEntry,
} from './vendors.share.js'

export interface DeliveryRunDeps {
  db: Db
  clock: Clock
  charter: Charter
  consent: Pick<ConsentService, 'contextsFor'>
  settings: VendorSettings
  repo: VendorsRepository
  destinations: readonly Destination[]
  send: Send
  random: () => number
  /** The owner's pseudonym for a vendor (`vendorPseudonym` under the vendor's key). */
  pseudonymOf: (vendor: string, owner: string) => string
}

/** What one run of the delivery job did. */
export interface DeliveryReport {
  /** Outbox rows taken (each one owner's part of an ingest batch). */
  taken: number
  /** Deliveries made from them. */
  queued: number
  sent: number
  failed: number
  deadLettered: number
  withdrawn: number
  /** Pending rows read (due or not). */
  read: number
}

/** Pending rows read per run, outbox rows taken per run, and owners' queues worked on at once. */
export const DELIVERY_BATCH = 1000
export const OUTBOX_BATCH = 200
const HOUR_MS = 3_600_000
const PARALLEL = 8

/** The rows of each (vendor, owner) queue, in creation order. */
function queuesOf(rows: readonly DeliveryRow[]): DeliveryRow[][] {
  const queues = new Map<string, DeliveryRow[]>()
  for (const row of rows) {
    const key = `${row.vendor}\u0000${row.owner}`
    const queue = queues.get(key)
    if (queue === undefined) queues.set(key, [row])
    else queue.push(row)
  }
  return [...queues.values()]
}

async function inParallel<T>(items: readonly T[], work: (item: T) => Promise<void>) {
  let next = 0
  const worker = async () => {
    while (next < items.length) await work(items[next++]!)
  }
  await Promise.all(Array.from({ length: Math.min(PARALLEL, items.length) }, worker))
}

/** The delivery job's parts: events to vendors, deletion requests, and filing deletion requests. */
export function createDeliveryRun(deps: DeliveryRunDeps) {
  const { repo, db } = deps
  const byVendor = new Map(deps.destinations.map((d) => [d.vendor, d]))

  /**
   * The purposes of the row the owner has not taken back since it was stored (consent read again at
   * send). The request's jurisdiction is not known here, so a jurisdiction default does not overrule
   * what the event's own request allowed; a record does (a withdrawal, an objection, a restriction, a
   * GPC opt-out), and so does a consent-based purpose whose grant is gone.
   */
  function allowedNow(row: DeliveryRow, context: ConsentContext | undefined): string[] {
    if (context === undefined) return []
    return row.purposes.split(',').filter((purpose) => {
      if (purpose === '') return false
      const decision = decideConsent({ ...context, purpose })
      return decision.allowed || decision.reason === 'jurisdiction_default'
    })
  }

  /**
   * One owner's queue for one vendor, oldest first: a row not yet due, or one that fails, holds back
   * the rows behind it (order per owner); a dead-lettered row no longer does.
   */
  async function deliverQueue(
    queue: readonly DeliveryRow[],
    context: ConsentContext | undefined,
    report: DeliveryReport,
  ): Promise<void> {
    for (const row of queue) {
      const now = deps.clock.now()
      if (row.next_attempt_at > now.toISOString()) return
      const key = { owner: row.owner, id: row.id }
      const destination = byVendor.get(row.vendor)
      const allowed = allowedNow(row, context)
      const share =
        row.data === null
          ? undefined
          : minimize(
              deps.charter,
              row.vendor,
              row.event_type as EventType,
              allowed,
              JSON.parse(row.data) as Record<string, unknown>,
            )
      if (share === undefined || destination === undefined) {
        // Withdrawn since it was stored (or the vendor lost its destination): never sent.
        await repo.updateDelivery(db, key, { status: 'withdrawn', data: null })
        report.withdrawn += 1
        continue
      }
      const body = deliveryBody({
        type: row.event_type as EventType,
        pseudonym: row.pseudonym,
        purposes: share.purposes,
        data: share.data,
        now,
      })
      const outcome = await deps.send({
        url: destination.url,
        secret: destination.secret,
        id: row.id,
        body,
        now,
      })
      const attempts = row.attempts + 1
      if (outcome.ok) {
        await repo.updateDelivery(db, key, {
          status: 'sent',
          attempts,
          sent_at: now.toISOString(),
          data: null,
          purposes: share.purposes.join(','),
          fields: share.fields.join(','),
          last_error: null,
        })
        report.sent += 1
        continue
      }
      if (attempts >= deps.settings.maxTries) {
        await repo.updateDelivery(db, key, { status: 'dead', attempts, last_error: outcome.error })
        report.deadLettered += 1
        continue
      }
      const retryAt = new Date(now.getTime() + backoffMs(attempts, deps.random()))
      await repo.updateDelivery(db, key, {
        attempts,
        next_attempt_at: retryAt.toISOString(),
        last_error: outcome.error,
      })
      report.failed += 1
      return
    }
  }

  /**
   * Takes the oldest outbox rows and writes their deliveries, in one transaction (a crash leaves the
   * rows in the outbox, or their deliveries written: never both, never neither). Each delivery gets
   * the owner's pseudonym for its vendor and only that vendor's fields; its id is made now, in the
   * outbox's order, so the order per owner is the order the events were stored in.
   */
  async function takeOutbox(): Promise<{ taken: number; queued: number }> {
    return db.transaction().execute(async (trx) => {
      const taken = await repo.takeOutbox(trx, OUTBOX_BATCH)
      const rows: DeliveryRow[] = []
      const now = deps.clock.now()
      for (const outbox of taken) {
        const pseudonyms = new Map<string, string>()
        for (const entry of JSON.parse(outbox.events) as OutboxEntry[]) {
          for (const share of sharesOfEntry(deps.charter, entry)) {
            let pseudonym = pseudonyms.get(share.vendor)
            if (pseudonym === undefined) {
              pseudonym = deps.pseudonymOf(share.vendor, outbox.owner)
              pseudonyms.set(share.vendor, pseudonym)
            }
            rows.push({
              owner: outbox.owner,
              id: newSortableId('dlv', now.getTime()),
              owner_kind: outbox.owner_kind,
              vendor: share.vendor,
              event_type: entry.type,
              purposes: share.purposes.join(','),
              fields: share.fields.join(','),
              data: JSON.stringify(share.data),
              pseudonym,
              status: 'pending',
              attempts: 0,
              next_attempt_at: outbox.created_at,
              last_error: null,
              created_at: outbox.created_at,
              sent_at: null,
              expires_at: outbox.expires_at,
            })
          }
        }
      }
      await repo.insertDeliveries(trx, rows)
      return { taken: taken.length, queued: rows.length }
    })
  }

  return {
    /**
     * Sends what is due, oldest first per owner and vendor. At least once: a delivery whose answer was
     * lost is sent again with the same `webhook-id`, which the vendor deduplicates on.
     */
    async deliverDue(): Promise<DeliveryReport> {
      const { taken, queued } = await takeOutbox()
      const rows = await repo.listPending(db, DELIVERY_BATCH)
      const report: DeliveryReport = {
        taken,
        queued,
        sent: 0,
        failed: 0,
        deadLettered: 0,
        withdrawn: 0,
        read: rows.length,
      }
      if (rows.length === 0) return report
      const contexts = await deps.consent.contextsFor([...new Set(rows.map((r) => r.owner))], {})
      await inParallel(queuesOf(rows), (queue) =>
        deliverQueue(queue, contexts.get(queue[0]!.owner), report),
      )
      return report
    },

    /**
     * Sends the deletion requests that are due to each vendor's deletion URL. A 2xx is the vendor's
     * acknowledgement; until then the request is retried with backoff (never given up on: past its due
     * time it shows as overdue instead).
     */
    async deliverDeletions(): Promise<{ acknowledged: number; failed: number }> {
      const out = { acknowledged: 0, failed: 0 }
      const now = deps.clock.now()
      for (const row of await repo.listPendingDeletions(db, now.toISOString(), DELIVERY_BATCH)) {
        const key = { owner: row.owner, id: row.id }
        const destination = byVendor.get(row.vendor)
        const attempts = row.attempts + 1
        const outcome =
          destination === undefined
            ? { ok: false as const, error: 'no destination configured' }
            : await deps.send({
                url: destination.deletionUrl,
                secret: destination.secret,
                id: row.id,
                body: deletionBody({
                  pseudonyms: JSON.parse(row.pseudonyms ?? '[]') as string[],
                  reason: row.reason,
                  now,
                }),
                now,
              })
        if (outcome.ok) {
          await repo.updateDeletion(db, key, {
            status: 'acknowledged',
            attempts,
            acknowledged_at: now.toISOString(),
            pseudonyms: null,
            last_error: null,
          })
          out.acknowledged += 1
        } else {
          const retryAt = new Date(now.getTime() + backoffMs(attempts, deps.random()))
          await repo.updateDeletion(db, key, {
            attempts,
            next_attempt_at: retryAt.toISOString(),
            last_error: outcome.error,
          })
          out.failed += 1
        }
      }
      return out
    },

    /**
     * Files one deletion request per vendor that received the subject's data (`sent` deliveries; all of
     * them on erasure, those under a purpose no longer allowed on objection, those under `purpose` on
     * its withdrawal), naming every pseudonym that vendor got. Inside the caller's transaction (no
     * read outside it: the consent ledger is read only on objection). Returns how many were filed.
     */
    async requestDeletions(
      executor: Db,
      subjectId: string,
      reason: DeletionReason,
      purpose?: string,
    ): Promise<number> {
      const rows = (await repo.listOwnerDeliveries(executor, subjectId)).filter(
        (r) =>
          r.status === 'sent' &&
          (reason !== 'withdrawal' || r.purposes.split(',').includes(purpose ?? '')),
      )
      if (rows.length === 0) return 0
      let context: ConsentContext | undefined
      if (reason === 'objection')
        context = (await deps.consent.contextsFor([subjectId], {})).get(subjectId)
      // A vendor is not asked twice: not while a request for the same reason is pending, nor again
      // for what it was sent before the last request it was sent.
      const earlier = (await repo.listOwnerDeletions(executor, subjectId)).filter(
        (d) => d.reason === reason,
      )
      const open = new Set(earlier.filter((d) => d.status === 'pending').map((d) => d.vendor))
      const askedAt = new Map<string, string>()
      for (const d of earlier)
        if (d.created_at > (askedAt.get(d.vendor) ?? '')) askedAt.set(d.vendor, d.created_at)
      const pseudonyms = new Map<string, Set<string>>()
      for (const row of rows) {
        if (open.has(row.vendor)) continue
        if ((row.sent_at ?? '') <= (askedAt.get(row.vendor) ?? '')) continue
        if (
          reason === 'objection' &&
          allowedNow(row, context).length === row.purposes.split(',').length
        )
          continue
        const set = pseudonyms.get(row.vendor) ?? new Set<string>()
        set.add(row.pseudonym)
        pseudonyms.set(row.vendor, set)
      }
      const now = deps.clock.now()
      const due = new Date(now.getTime() + deps.settings.deletionOverdueHours * HOUR_MS)
      const deletions: DeletionRow[] = [...pseudonyms].map(([vendor, set]) => ({
        owner: subjectId,
        id: newSortableId('vdr', now.getTime()),
        vendor,
        reason,
        pseudonyms: JSON.stringify([...set]),
        status: 'pending',
        attempts: 0,
        next_attempt_at: now.toISOString(),
        last_error: null,
        created_at: now.toISOString(),
        due_at: due.toISOString(),
        acknowledged_at: null,
      }))
      await repo.insertDeletions(executor, deletions)
      return deletions.length
    },
  }
}
