/**
 * Sessions: the shapes of an anonymous visit. A shop names a visit by its own session id; Candor keeps
 * only a keyed pseudonym of it (`ses_...`), and the visit lasts at most `SESSION_TTL_MS`.
 */
import { z } from 'zod'
import { DAY_MS } from '../../lib/clock.js'

/** A visit lasts at most this long: session events, consents and the session itself go after it. */
export const SESSION_TTL_MS = DAY_MS

/** Session pseudonyms start with this; subject ids with `sub_`. */
export const SESSION_PREFIX = 'ses_'

export const SessionIdSchema = z
  .string()
  .min(8)
  .max(200)
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')
  .meta({
    description: 'An anonymous visit: the shop’s session id (at least 8 characters)',
    examples: ['sess-7f3a9c2e51'],
  })

/** A visit as stored: its pseudonym, when it started and when it ends at the latest. */
export interface SessionRow {
  sessionKey: string
  startedAt: string
  expiresAt: string
}

/** Whether a visit is still open at `nowIso`: until its expiry, a session serves and decides. */
export function isSessionOpen(row: SessionRow, nowIso: string): boolean {
  return row.expiresAt > nowIso
}

/** What ending a visit deleted (the answer of `POST /v1/sessions/{session}/end`). */
export interface SessionPurge {
  events: number
  consentRecords: number
  sessions: number
}
