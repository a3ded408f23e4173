import type { Clock } from '../../lib/clock.js'
import { hmacSha256 } from '../../lib/crypto.js'
import type { ChangeFeed } from '../../storage/changes.js'
import type { Db } from '../../storage/db.js'
import type { Actor, AuditLog } from '../audit/index.js'
import type { KeyringHolder } from '../identity/index.js'
import {
  SESSION_PREFIX,
  SESSION_TTL_MS,
  type SessionPurge,
  type SessionRow,
  isSessionOpen,
} from './session.js'
import { createSessionCache } from './session.cache.js'
import { type SessionRepository, createSessionRepository } from './session.repository.js'

/**
 * What goes with a session when it ends or expires, kept by other modules under its pseudonym. The
 * composition root wires these to the events and consent modules; this module imports neither.
 */
export interface SessionDataPorts {
  /** Deletes the session's events; returns how many went. */
  eraseEvents(executor: Db, sessionKey: string): Promise<number>
  /** Deletes the consent records kept under the session's pseudonym; returns how many went. */
  eraseConsentRecords(executor: Db, sessionKey: string): Promise<number>
}

export interface SessionDeps {
  db: Db
  changes: ChangeFeed
  clock: Clock
  keys: KeyringHolder
  audit: AuditLog
  /** Read when a session goes (not at construction: the modules it names are built after this one). */
  data: () => SessionDataPorts
}

export type SessionService = ReturnType<typeof createSessionService>

/** Purges every session past its expiry, 500 at a time; returns the totals. */
async function purgeExpired(
  repo: SessionRepository,
  purge: (executor: Db, sessionKey: string) => Promise<SessionPurge>,
  executor: Db,
  now: Date,
): Promise<SessionPurge> {
  const nowIso = now.toISOString()
  const total: SessionPurge = { events: 0, consentRecords: 0, sessions: 0 }
  for (;;) {
    const keys = await repo.listExpiredSessions(executor, nowIso, 500)
    if (keys.length === 0) break
    for (const key of keys) {
      const counts = await purge(executor, key)
      total.sessions += counts.sessions
      total.consentRecords += counts.consentRecords
      total.events += counts.events
    }
  }
  return total
}

function sessionKeyOf(keys: KeyringHolder, sessionId: string): string {
  const key = keys.current().pseudonym.active
  return `${SESSION_PREFIX}${hmacSha256(key.secret, `session:${sessionId}`).toString('base64url')}`
}

/**
 * The anonymous visit. A shop's session id becomes a keyed pseudonym (`keyOf`); the visit opens with its
 * first stored event or choice and lasts `SESSION_TTL_MS` from then; when it ends (`end`) or expires
 * (`deleteExpired`), its events, its consent records and the session itself are deleted together. A
 * session past its expiry is as good as gone: `liveKey` no longer answers it, and the next `open`
 * purges it and starts a new one.
 */
export function createSessionService(deps: SessionDeps) {
  // Reads outside a transaction may be answered from the copies (`session.cache.ts`).
  const repo = createSessionCache(createSessionRepository(deps.changes), deps.changes, deps.db)

  /** The keyed pseudonym of a shop's session id (never stored raw). */
  const keyOf = (sessionId: string) => sessionKeyOf(deps.keys, sessionId)

  /** Deletes a session's events, its consent records and the session itself, in that order. */
  async function purge(executor: Db, sessionKey: string): Promise<SessionPurge> {
    const data = deps.data()
    const events = await data.eraseEvents(executor, sessionKey)
    const consentRecords = await data.eraseConsentRecords(executor, sessionKey)
    const sessions = await repo.deleteSession(executor, sessionKey)
    return { events, consentRecords, sessions }
  }

  /** The session row in force, starting a new one (and purging an expired one) when needed. */
  async function open(executor: Db, sessionKey: string, now: Date): Promise<SessionRow> {
    const existing = (await repo.findSessions(executor, [sessionKey])).get(sessionKey)
    if (existing !== undefined && isSessionOpen(existing, now.toISOString())) return existing
    if (existing !== undefined) await purge(executor, sessionKey)
    const row = {
      sessionKey,
      startedAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + SESSION_TTL_MS).toISOString(),
    }
    await repo.insertSession(executor, row)
    return (await repo.findSessions(executor, [sessionKey])).get(sessionKey) ?? row
  }

  return {
    keyOf,
    open,

    /** `open` in a transaction of its own, now. */
    async openNow(sessionKey: string): Promise<SessionRow> {
      return deps.db.transaction().execute((trx) => open(trx, sessionKey, deps.clock.now()))
    },

    /** The stored rows of these sessions (expired ones included: compare `expiresAt` with now). */
    async find(executor: Db, sessionKeys: readonly string[]): Promise<Map<string, SessionRow>> {
      return repo.findSessions(executor, sessionKeys)
    },

    /** `sessionKey` while that session is open, else undefined (ended, expired or never opened). */
    async liveKey(sessionKey: string): Promise<string | undefined> {
      const row = (await repo.findSessions(deps.db, [sessionKey])).get(sessionKey)
      return row !== undefined && isSessionOpen(row, deps.clock.now().toISOString())
        ? sessionKey
        : undefined
    },

    /** Ends an anonymous visit now: its events, consent records and the session are deleted. */
    async end(sessionId: string, actor: Actor): Promise<SessionPurge> {
      const key = keyOf(sessionId)
      return deps.db.transaction().execute(async (trx) => {
        const counts = await purge(trx, key)
        await deps.audit.record(trx, { actor, action: 'session.ended', details: { ...counts } })
        return counts
      })
    },

    /**
     * Purges every session past its expiry (with its events and consent records); returns the totals.
     * Called inside the retention run's transaction.
     */
    async deleteExpired(executor: Db, now: Date): Promise<SessionPurge> {
      return purgeExpired(repo, purge, executor, now)
    },
  }
}
