/**
 * The offers module (issue 21): offers and content staff define, and the best eligible one for a
 * shopper at a touchpoint, at the level their consent allows for the offer's purpose. It owns the table
 * `offers` (no personal data); the frequency-cap counters and "not this" feedback it uses are the
 * recommend module's (erased and exported with it).
 *
 * May import: lib, storage, and the index of audit, catalog, charter, consent, events, identity,
 * recommend and session.
 *
 * The e-mail touchpoint and its one-click unsubscribe: `offers.mail.ts`, `offers.unsubscribe.ts`; the
 * offer e-mails waiting in the outbox take part in export and erasure (`offers.participant.ts`).
 *
 * Where each rule lives: schemas `offers.ts`; who is eligible and why (pure) `offers.eligibility.ts`;
 * definitions checked and answers chosen `offers.service.ts`; SQL `offers.repository.ts`; HTTP
 * `offers.routes.ts`, `offers.representation.ts` (links).
 */
export { createOffersService, type OffersService } from './offers.service.js'
export { offersRoutes } from './offers.routes.js'
export { OfferInputSchema, type Offer, type OfferInput } from './offers.js'
export { createOfferMail, type OfferMail, type SendCounts } from './offers.mail.js'
export { offersDataParticipant } from './offers.participant.js'
export { offerMailRoutes } from './offers.mail.routes.js'
