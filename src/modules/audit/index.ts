export {
  type Actor,
  type AuditEntry,
  type AuditInput,
  type ChainVerification,
  AuditEntrySchema,
  describeActor,
} from './audit.js'
export { createAuditLog, type AuditLog } from './audit.service.js'
export { actorOf } from './audit.actor.js'
export { auditDataParticipant } from './audit.participant.js'
export { auditRoutes, type AuditRoutesDeps } from './audit.routes.js'
export { type CheckpointView, type TreeVerification, entryLeaf } from './audit-tree.service.js'
export {
  type Checkpoint,
  type SignedCheckpoint,
  createCheckpointSigner,
  noteFromSaved,
  openCheckpoint,
  parseVerifierKey,
  signCheckpoint,
  verifierKey,
} from './checkpoint.js'
export { verifyConsistency, verifyInclusion } from './merkle.js'
