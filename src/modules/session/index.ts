/**
 * The session module: the anonymous visit. It owns the visit's pseudonym (`keyOf`, a keyed HMAC of the
 * shop's session id), its table (`event_sessions`, named by migration 0004), and its lifecycle: open,
 * end and expiry (`session.service.ts` holds all three rules). What other modules keep under a session's
 * pseudonym (events, consent records) goes with it through `SessionDataPorts`, wired by the composition
 * root, so this module imports neither of them. SQL: `session.repository.ts` (each write made with the
 * storage's `write`, announcing the session); the in-memory copies of session rows: `session.cache.ts`,
 * behind the repository's interface.
 *
 * May import: lib, storage, audit, identity (the keyring). Consent decides for a session the way it
 * does for a subject (consent module, `consent.sessions.ts`); events asks this module to open a visit.
 * Routes: `session.routes.ts` (ending a visit), registered by the app.
 */
export {
  SESSION_PREFIX,
  SESSION_TTL_MS,
  SessionIdSchema,
  isSessionOpen,
  type SessionPurge,
  type SessionRow,
} from './session.js'
export {
  createSessionService,
  type SessionDataPorts,
  type SessionDeps,
  type SessionService,
} from './session.service.js'
export { sessionRoutes } from './session.routes.js'
