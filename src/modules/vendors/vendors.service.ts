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
import { DELIVERY_BATCH, type DeliveryReport, createDeliveryRun } from './vendors.deliver.js'
import { type DeliveryRow, createVendorsRepository } from './vendors.repository.js'
import { sendSigned, type Send } from './vendors.send.js'
import { destinationsOf, sharesOf, vendorPseudonym, vendorPseudonymKey } from './vendors.share.js'
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
  const run = createDeliveryRun({
    ...deps,
    repo,
    destinations,
    send: deps.send ?? sendSigned,
    random: deps.random ?? Math.random,
  })

  return {
    /** The vendors with a destination configured (`CANDOR_VENDOR_<KEY>_URL`). */
    destinations: destinations.map((d) => d.vendor),

    /**
     * The outbox step of ingest: called by the events module inside the transaction that stores the
     * events, so an event is stored with its deliveries or not at all. Only newly stored events come
     * here; each goes, minimized, to every vendor one of its allowed purposes is declared for.
     */
    async enqueue(trx: Db, events: readonly StoredEvent[], now: Date): Promise<number> {
      if (destinations.length === 0) return 0
      const nowIso = now.toISOString()
      const rows: DeliveryRow[] = []
      for (const event of events) {
        const owner = event.subjectId ?? event.sessionKey
        if (owner === undefined) continue
        for (const share of sharesOf(deps.charter, destinations, event)) {
          rows.push({
            owner,
            id: newSortableId('dlv', now.getTime()),
            owner_kind: event.subjectId === undefined ? 'session' : 'subject',
            vendor: share.vendor,
            event_type: event.type,
            purposes: share.purposes.join(','),
            fields: share.fields.join(','),
            data: JSON.stringify(share.data),
            pseudonym: vendorPseudonym(pseudonymKey(share.vendor), owner),
            status: 'pending',
            attempts: 0,
            next_attempt_at: nowIso,
            last_error: null,
            created_at: nowIso,
            sent_at: null,
            expires_at: event.expiresAt,
          })
        }
      }
      await repo.insertDeliveries(trx, rows)
      return rows.length
    },

    ...run,

    /**
     * The delivery job's run: batches of due deliveries until one makes no progress or comes back short,
     * then the deletion requests due.
     */
    async deliverAll(): Promise<DeliveryReport & { deletions: number }> {
      const total: DeliveryReport = { sent: 0, failed: 0, deadLettered: 0, withdrawn: 0, read: 0 }
      for (let i = 0; i < 50; i++) {
        const report = await run.deliverDue()
        for (const k of ['sent', 'failed', 'deadLettered', 'withdrawn', 'read'] as const)
          total[k] += report[k]
        if (
          report.read < DELIVERY_BATCH ||
          report.sent + report.withdrawn + report.deadLettered === 0
        )
          break
      }
      const deletions = await run.deliverDeletions()
      return { ...total, deletions: deletions.acknowledged + deletions.failed }
    },

    /** `requestDeletions` in a transaction of its own (after an objection was recorded). */
    requestDeletionsNow: (subjectId: string, reason: 'erasure' | 'objection') =>
      deps.db.transaction().execute((trx) => run.requestDeletions(trx, subjectId, reason)),
    ...createVendorsStaff({ ...deps, repo, destinations }),
  }
}
