/**
 * The consent module: the ledger's types and the one decision every other module calls. Pure and
 * transport-neutral; storage and HTTP wire it up.
 *
 * The decision: `consent.decision.ts`; the ledger's reads and append path: `consent.ledger.ts`; SQL:
 * `consent.repository.ts`, each write made with the storage's `write` (announcing the subject or
 * session); the in-memory copies (ledgers, prompts shown): `consent.cache.ts`, behind the repository's
 * interface.
 */
export {
  CONSENT_METHODS,
  CONSENT_REASONS,
  ConsentMethodSchema,
  ConsentValueSchema,
  ConsentRecordSchema,
  ConsentChangeSchema,
  NoticeVersionSchema,
  PersonalizationLevelSchema,
  JurisdictionCodeSchema,
  ConsentDecisionOutSchema,
  decisionOut,
  type ConsentMethod,
  type ConsentValue,
  type ConsentRecord,
  type ConsentChange,
  type ConsentReason,
  type ConsentDecision,
  type ConsentPrompt,
  type PersonalizationLevel,
  type PromptShown,
} from './consent.js'
export {
  decideConsent,
  decideAll,
  allowedUnderDeclaredBasis,
  allowedToCollect,
  gpcRecords,
  recordsFor,
  consentPrompt,
  decidePersonalizationLevel,
  progressivePrompt,
  type ConsentContext,
  type ConsentQuery,
  type PersonalizationDecision,
  type PersonalizationReason,
  type PromptDecision,
  type PromptReason,
} from './consent.decision.js'
export { buildConsentRecord } from './consent.record.js'
export {
  encodeTcfString,
  decodeTcfString,
  type TcfChoices,
  type DecodedTcf,
} from './consent.tcf.js'
export {
  createConsentService,
  type ConsentService,
  type ConsentDeps,
  type RequestSignals,
  type SubjectOf,
} from './consent.service.js'
export { signalsOf } from './consent.signals.js'
export { consentDataParticipant } from './consent.participant.js'
export { consentRoutes, type ConsentRoutesDeps } from './consent.routes.js'
export { sessionConsentRoutes } from './consent.sessions.routes.js'
