export {
  type Actor,
  type AuditEntry,
  type AuditInput,
  type ChainVerification,
  AuditEntrySchema,
  describeActor,
} from './audit.js'
export { createAuditLog, type AuditLog } from './audit.service.js'
