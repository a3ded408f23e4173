/**
 * The one-click unsubscribe link of an offer e-mail (RFC 8058): a token that names the subject and the
 * purpose to withdraw only inside AES-256-GCM (a key derived from the token key set), so the URL carries
 * no personal data and no subject id in clear, cannot be guessed, and fails to open when one character
 * is changed. It expires (`UNSUBSCRIBE_TTL_DAYS`).
 */
import { createHash, hkdfSync } from 'node:crypto'
import { open, seal } from '../../lib/aead.js'
import { AppError } from '../../lib/errors.js'
import type { KeyringHolder } from '../identity/index.js'

/** How long an unsubscribe link works: long enough for a mail read late, not forever. */
export const UNSUBSCRIBE_TTL_DAYS = 90

const LABEL = 'candor/offers-unsubscribe/v1'
const AAD = 'offers-unsubscribe'

/** What a token names, once opened. */
export interface UnsubscribeClaims {
  subjectId: string
  purpose: string
  expiresAt: Date
}

function invalid(reason: string): AppError {
  return new AppError('validation_failed', `token: ${reason}`, {
    issues: [{ field: 'params.token', reason }],
  })
}

/**
 * Issues and opens unsubscribe tokens: `<key id>.<base64url(iv | tag | sealed claims)>`, the claims
 * packed small (expiry in seconds, 6 bytes of the purpose's hash, the subject id) so that a link stays
 * well under a path parameter's length limit. `purposes` are the charter's, among which a token's
 * purpose is found again.
 */
export function createUnsubscribeTokens(keys: KeyringHolder, purposes: readonly string[]) {
  const derived = new Map<string, Buffer>()
  const keyOf = (id: string, secret: Buffer): Buffer => {
    let key = derived.get(id)
    if (key === undefined) {
      key = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), LABEL, 32))
      derived.set(id, key)
    }
    return key
  }
  const tagOf = (purpose: string) => createHash('sha256').update(purpose).digest().subarray(0, 6)
  const broken = () => invalid('this link is not valid: it was altered or cut short')
  return {
    issue(subjectId: string, purpose: string, expiresAt: Date): string {
      const active = keys.current().token.active
      const head = Buffer.alloc(4)
      head.writeUInt32BE(Math.floor(expiresAt.getTime() / 1000))
      const claims = Buffer.concat([head, tagOf(purpose), Buffer.from(subjectId, 'utf8')])
      const sealed = seal(keyOf(active.id, active.secret), claims, AAD)
      return `${active.id}.${sealed.toString('base64url')}`
    },

    /** The claims of a token that is intact and not expired at `now`; a 400 naming the token otherwise. */
    open(token: string, now: Date): UnsubscribeClaims {
      const dot = token.indexOf('.')
      const keyId = token.slice(0, dot)
      const entry =
        dot <= 0 ? undefined : (keys.current().token.byId(keyId) ?? keys.reload().token.byId(keyId))
      if (entry === undefined) throw broken()
      let plain: Buffer
      try {
        plain = open(
          keyOf(entry.id, entry.secret),
          Buffer.from(token.slice(dot + 1), 'base64url'),
          AAD,
        )
      } catch {
        throw broken()
      }
      const purpose = purposes.find((p) => tagOf(p).equals(plain.subarray(4, 10)))
      if (plain.length <= 10 || purpose === undefined) throw broken()
      const expiresAt = new Date(plain.readUInt32BE(0) * 1000)
      if (expiresAt.getTime() <= now.getTime())
        throw invalid('this link has expired: change your choices in the privacy center instead')
      return { subjectId: plain.subarray(10).toString('utf8'), purpose, expiresAt }
    },
  }
}

export type UnsubscribeTokens = ReturnType<typeof createUnsubscribeTokens>
