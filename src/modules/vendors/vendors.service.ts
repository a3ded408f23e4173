/**
 * Vendor sharing: the outbox written in the event's transaction (`enqueue`), the delivery job
 * (`deliverDue`: consent checked again at send, ordered per owner, retried with backoff, dead-lettered
 * after the configured tries), deletion requests on erasure or objection (`requestDeletions`,
 * `deliverDeletions`), and what staff and the shopper see of it. The rules of what goes where are in
 * `vendors.share.ts`; SQL in `vendors.repository.ts`; the signed POST in `vendors.send.ts`.
 */
import type { VendorSettings } from '../../config.vendors.js'
import type { Clock } from '../../lib/clock.js'
import { newSortableId } from '../../lib/ids.js'
import type { Db } from '../../storage/db.js'
import type { AuditLog } from '../audit/index.js'
import type { Charter } from '../charter/index.js'
import type { ConsentService } from '../consent/index.js'
import type { StoredEvent } from '../events/index.js'
import type { KeyringHolder } from '../identity/index.js'
import {
  DELIVERY_BATCH,
  type DeliveryReport,
  OUTBOX_BATCH,
  createDeliveryRun,
} from './vendors.deliver.js'
import {
  type DeletionReason,
  type OutboxRow,
  createVendorsRepository,
} from './vendors.repository.js'
import { sendSigned, type Send } from './vendors.send.js'
import {
  type OutboxEntry,
  destinationsOf,
  outboxEntryOf,
  vendorPseudonym,
  vendorPseudonymKey,
} from './vendors.share.js'
import { createVendorsStaff } from './vendors.staff.js'

export interface VendorsDeps {
  db: Db
  clock: Clock
  charter: Charter
  keys: KeyringHolder
  audit: AuditLog
  consent: Pick<ConsentService, 'contextsFor'>
  settings: VendorSettings
  /** The signed POST (default: `sendSigned`, over the network). */
  send?: Send
  /** A uniform draw in [0, 1) for the backoff's jitter (default Math.random). */
  random?: () => number
}

export type VendorsService = ReturnType<typeof createVendorsService>

const KEYS = ['taken', 'queued', 'sent', 'failed', 'deadLettered', 'withdrawn', 'read'] as const

/** One owner's part of an ingest batch, on its way to one outbox row. */
interface OwnerShare {
  kind: 'subject' | 'session'
  entries: OutboxEntry[]
  perVendor: Map<string, number>
  expiresAt: string
}

export function createVendorsService(deps: VendorsDeps) {
  const repo = createVendorsRepository()
  const destinations = destinationsOf(deps.charter, deps.settings.destinations)
  const pseudonymKeys = new Map<string, Buffer>()
  function pseudonymKey(vendor: string): Buffer {
    const entry = deps.keys.current().pseudonym.active
    const cacheKey = `${entry.id}\u0000${vendor}`
    let key = pseudonymKeys.get(cacheKey)
    if (key === undefined) {
      key = vendorPseudonymKey(entry.secret, vendor)
      pseudonymKeys.set(cacheKey, key)
    }
    return key
  }
  const pseudonymOf = (vendor: string, owner: string) =>
    vendorPseudonym(pseudonymKey(vendor), owner)
  const run = createDeliveryRun({
    ...deps,
    repo,
    destinations,
    pseudonymOf,
    send: deps.send ?? sendSigned,
    random: deps.random ?? Math.random,
  })

  return {
    /** The vendors with a destination configured (`CANDOR_VENDOR_<KEY>_URL`). */
    destinations: destinations.map((d) => d.vendor),

    /**
     * The outbox step of ingest: called by the events module inside the transaction that stores the
     * events, so an event is stored with its outbox entry or not at all. Only newly stored events come
     * here; each that goes to a vendor (one of its allowed purposes is declared for it) is kept,
     * minimized, in one outbox row per owner of the batch. The delivery job makes the deliveries
     * (pseudonym, fields per vendor) from it, off the request path. Answers the deliveries to come.
     */
    async enqueue(trx: Db, events: readonly StoredEvent[], now: Date): Promise<number> {
      if (destinations.length === 0) return 0
      const byOwner = new Map<string, OwnerShare>()
      let deliveries = 0
      for (const event of events) {
        const owner = event.subjectId ?? event.sessionKey
        if (owner === undefined) continue
        const entry = outboxEntryOf(deps.charter, destinations, event)
        if (entry === undefined) continue
        let share = byOwner.get(owner)
        if (share === undefined) {
          const kind = event.subjectId === undefined ? 'session' : 'subject'
          share = { kind, entries: [], perVendor: new Map(), expiresAt: event.expiresAt }
          byOwner.set(owner, share)
        }
        share.entries.push(entry)
        for (const vendor of entry.vendors)
          share.perVendor.set(vendor, (share.perVendor.get(vendor) ?? 0) + 1)
        if (event.expiresAt > share.expiresAt) share.expiresAt = event.expiresAt
        deliveries += entry.vendors.length
      }
      const nowIso = now.toISOString()
      const rows: OutboxRow[] = [...byOwner].map(([owner, share]) => ({
        owner,
        id: newSortableId('vob', now.getTime()),
        owner_kind: share.kind,
        vendors: [...share.perVendor].map(([vendor, n]) => `${vendor}=${n}`).join(','),
        events: JSON.stringify(share.entries),
        created_at: nowIso,
        expires_at: share.expiresAt,
      }))
      await repo.insertOutbox(trx, rows)
      return deliveries
    },

    ...run,

    /**
     * The delivery job's run: outbox rows taken into deliveries and due deliveries sent, batch after
     * batch until the outbox is empty and a batch of deliveries makes no progress or comes back short,
     * then the deletion requests due.
     */
    async deliverAll(): Promise<DeliveryReport & { deletions: number }> {
      const total: DeliveryReport = {
        taken: 0,
        queued: 0,
        sent: 0,
        failed: 0,
        deadLettered: 0,
        withdrawn: 0,
        read: 0,
      }
      for (let i = 0; i < 50; i++) {
        const report = await run.deliverDue()
        for (const k of KEYS) total[k] += report[k]
        const progress = report.sent + report.withdrawn + report.deadLettered > 0
        const more = report.taken === OUTBOX_BATCH || (report.read === DELIVERY_BATCH && progress)
        if (!more) break
      }
      const deletions = await run.deliverDeletions()
      return { ...total, deletions: deletions.acknowledged + deletions.failed }
    },

    /** `requestDeletions` in a transaction of its own (after an objection was recorded). */
    requestDeletionsNow: (subjectId: string, reason: DeletionReason) =>
      deps.db.transaction().execute((trx) => run.requestDeletions(trx, subjectId, reason)),
    ...createVendorsStaff({ ...deps, repo, destinations, pseudonymOf }),
  }
}
