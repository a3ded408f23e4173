/**
 * Sharing with vendors only what each shopper allowed, and taking it back (issue 23). Owns
 * `vendor_outbox` (what ingest wrote, one row per owner and batch, migration 0040),
 * `vendor_deliveries` (one per event and vendor: the queue, then the pseudonymous delivery log) and
 * `vendor_deletions` (migration 0036); SQL only in `vendors.repository.ts`.
 *
 * What goes to which vendor, minimized, under which pseudonym: `vendors.share.ts` (pure). The outbox
 * is written by `enqueue`, which the events module calls inside the transaction that stores events.
 * The delivery job (`vendors.deliver.ts`): outbox rows turned into deliveries, consent read again at
 * send, order per owner, backoff with jitter, dead letter; Standard Webhooks signatures in `vendors.send.ts`. Staff views, replay, export
 * and erasure: `vendors.staff.ts`; the rights and retention port: `vendors.participant.ts`.
 *
 * May import: lib, storage, config (destinations), audit, charter, consent (the decision), events (the
 * stored event's shape), identity (the key file). Other modules use this one only through this file.
 */
export { createVendorsService, type VendorsDeps, type VendorsService } from './vendors.service.js'
export { vendorsRoutes } from './vendors.routes.js'
export { vendorsDataParticipant } from './vendors.participant.js'
export {
  VENDOR_PSEUDONYM_LABEL,
  backoffMs,
  sharesOf,
  vendorPseudonym,
  vendorPseudonymKey,
} from './vendors.share.js'
export type { DeliveryReport } from './vendors.deliver.js'
export type { SubjectSharing, VendorStatus, OverdueDeletion } from './vendors.js'
