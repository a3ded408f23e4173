import type { Clock } from '../../lib/clock.js'
import { base64url, hmacSha256, randomSecret, safeEqual, sha256Hex } from '../../lib/crypto.js'
import { AppError } from '../../lib/errors.js'
import { newId } from '../../lib/ids.js'
import type { Db } from '../../storage/db.js'
import type { AuditLog } from '../audit/index.js'
import type { Actor } from '../audit/index.js'
import { type Charter, cleanRoomPurposes } from '../charter/index.js'
import type { KeyringHolder } from '../identity/index.js'
import type { ApiKeyInfo, Caller, Role } from './auth.js'
import { createAuthRepository } from './auth.repository.js'

export interface AuthDeps {
  db: Db
  clock: Clock
  keys: KeyringHolder
  audit: AuditLog
  shopperTokenTtlSeconds: number
  /** Which vendors may have partner keys (those listing a clean-room purpose). */
  charter: Charter
}

const API_KEY_PREFIX = 'ck_'
const SHOPPER_TOKEN_PREFIX = 'st.'
/** How long a looked-up key is trusted before the database is asked again (revocation delay). */
const KEY_CACHE_MS = 5_000
/**
 * A key's last use is written at most this often per key and process: enough for the security review
 * to tell a key in use from an old unused one (issue 20), without a write per request.
 */
const KEY_USE_WRITE_MS = 3_600_000

export type AuthService = ReturnType<typeof createAuthService>

/**
 * API keys (random secrets, stored as SHA-256 hashes; the full key is shown once) and shopper tokens
 * (HMAC-signed, short-lived, scoped to exactly one subject).
 */
export function createAuthService(deps: AuthDeps) {
  const repo = createAuthRepository()
  const cache = new Map<string, { caller: Caller; until: number }>()
  /** When this process last wrote each key's `last_used_at` (ms). */
  const lastUseWritten = new Map<string, number>()

  function signToken(payload: string, keyId: string): string {
    const key = deps.keys.current().token.byId(keyId) ?? deps.keys.reload().token.byId(keyId)
    if (key === undefined) throw new Error(`unknown token key ${keyId}`)
    return base64url(hmacSha256(key.secret, payload))
  }

  return {
    /**
     * Creates a key and returns it in full, the only time it is ever available. A `partner` key names
     * the charter vendor it acts for, which must list a clean-room purpose; no other role names one.
     */
    async createApiKey(
      role: Role,
      name: string,
      actor: Actor,
      options: { vendor?: string | undefined } = {},
    ): Promise<{ key: string; info: ApiKeyInfo }> {
      const vendor = checkVendor(deps.charter, role, options.vendor)
      const id = newId('key', 16)
      const secret = base64url(randomSecret(32))
      const info: ApiKeyInfo = {
        id,
        role,
        name,
        vendor,
        createdAt: deps.clock.now().toISOString(),
        revokedAt: null,
      }
      await deps.db.transaction().execute(async (trx) => {
        await repo.insertKey(trx, { ...info, secretHash: sha256Hex(secret) })
        await deps.audit.record(trx, {
          actor,
          action: 'api_key.create',
          details: vendor === null ? { keyId: id, role } : { keyId: id, role, vendor },
        })
      })
      return { key: `${API_KEY_PREFIX}${id.slice(4)}.${secret}`, info }
    },

    async listApiKeys(): Promise<ApiKeyInfo[]> {
      return repo.listKeys(deps.db)
    },

    async revokeApiKey(id: string, actor: Actor): Promise<void> {
      await deps.db.transaction().execute(async (trx) => {
        const revoked = await repo.revokeKey(trx, id, deps.clock.now().toISOString())
        if (!revoked) throw new AppError('not_found', 'No active API key has this id')
        await deps.audit.record(trx, { actor, action: 'api_key.revoke', details: { keyId: id } })
      })
      cache.clear()
    },

    /** Issues a token that lets its holder act as exactly this subject until it expires. */
    issueShopperToken(subjectId: string): { token: string; expiresAt: string } {
      const now = deps.clock.now().getTime()
      const exp = Math.floor(now / 1000) + deps.shopperTokenTtlSeconds
      const kid = deps.keys.current().token.active.id
      const payload = base64url(JSON.stringify({ v: 1, sub: subjectId, exp, kid }))
      return {
        token: `${SHOPPER_TOKEN_PREFIX}${payload}.${signToken(payload, kid)}`,
        expiresAt: new Date(exp * 1000).toISOString(),
      }
    },

    /**
     * Resolves a bearer credential to a caller. Returns `anonymous` for none; throws `unauthenticated`
     * for a credential that is malformed, unknown, revoked, forged or expired.
     */
    async authenticate(credential: string | undefined): Promise<Caller> {
      if (credential === undefined || credential === '') return { kind: 'anonymous' }
      if (credential.startsWith(SHOPPER_TOKEN_PREFIX)) return this.verifyShopperToken(credential)
      if (!credential.startsWith(API_KEY_PREFIX)) {
        throw new AppError('unauthenticated', 'The credential is not an API key or shopper token')
      }
      const cached = cache.get(credential)
      if (cached !== undefined && cached.until > Date.now()) return cached.caller
      const [idPart, secret] = credential.slice(API_KEY_PREFIX.length).split('.')
      if (idPart === undefined || secret === undefined || !/^[a-z0-9]+$/.test(idPart)) {
        throw new AppError('unauthenticated', 'The API key is malformed')
      }
      const key = await repo.findKey(deps.db, `key_${idPart}`)
      if (key === undefined || !safeEqual(key.secretHash, sha256Hex(secret))) {
        throw new AppError('unauthenticated', 'The API key is not valid')
      }
      if (key.revokedAt !== null) throw new AppError('unauthenticated', 'The API key was revoked')
      const now = deps.clock.now()
      const written = lastUseWritten.get(key.id)
      if (written === undefined || now.getTime() - written >= KEY_USE_WRITE_MS) {
        lastUseWritten.set(key.id, now.getTime())
        await repo.touchKey(deps.db, key.id, now.toISOString())
      }
      const caller: Caller =
        key.vendor === null
          ? { kind: 'api_key', keyId: key.id, role: key.role }
          : { kind: 'api_key', keyId: key.id, role: key.role, vendor: key.vendor }
      if (cache.size > 1000) cache.clear()
      cache.set(credential, { caller, until: Date.now() + KEY_CACHE_MS })
      return caller
    },

    verifyShopperToken(token: string): Caller {
      const [payload, signature] = token.slice(SHOPPER_TOKEN_PREFIX.length).split('.')
      if (payload === undefined || signature === undefined) {
        throw new AppError('unauthenticated', 'The shopper token is malformed')
      }
      let claims: { v?: unknown; sub?: unknown; exp?: unknown; kid?: unknown }
      try {
        claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as typeof claims
      } catch {
        throw new AppError('unauthenticated', 'The shopper token is malformed')
      }
      if (typeof claims.kid !== 'string' || !/^[a-z0-9]{1,16}$/.test(claims.kid)) {
        throw new AppError('unauthenticated', 'The shopper token is not valid')
      }
      const expected =
        deps.keys.current().token.byId(claims.kid) ?? deps.keys.reload().token.byId(claims.kid)
      if (expected === undefined || !safeEqual(signToken(payload, claims.kid), signature)) {
        throw new AppError('unauthenticated', 'The shopper token is not valid')
      }
      if (typeof claims.exp !== 'number' || claims.exp * 1000 <= deps.clock.now().getTime()) {
        throw new AppError('unauthenticated', 'The shopper token has expired')
      }
      if (typeof claims.sub !== 'string')
        throw new AppError('unauthenticated', 'The shopper token is not valid')
      return { kind: 'shopper', subjectId: claims.sub }
    },
  }
}

/** The vendor a new key names: required (and a clean-room vendor) for `partner`, refused otherwise. */
function checkVendor(charter: Charter, role: Role, vendor: string | undefined): string | null {
  const refuse = (reason: string) =>
    new AppError('validation_failed', `vendor: ${reason}`, {
      issues: [{ field: 'body.vendor', reason }],
    })
  if (role !== 'partner') {
    if (vendor !== undefined) throw refuse('only a partner key names a vendor')
    return null
  }
  const eligible = partnerVendors(charter)
  if (vendor === undefined || !eligible.includes(vendor)) {
    throw refuse(
      eligible.length === 0
        ? 'a partner key needs a charter vendor that lists a clean-room purpose, and the charter has none'
        : `a partner key must name a charter vendor that lists a clean-room purpose (${eligible.join(', ')})`,
    )
  }
  return vendor
}

/** The charter vendors that may have partner keys: those listing a clean-room purpose. */
export function partnerVendors(charter: Charter): string[] {
  const cleanRoom = new Set(cleanRoomPurposes(charter))
  return Object.entries(charter.vendors)
    .filter(([, vendor]) => vendor.purposes.some((purpose) => cleanRoom.has(purpose)))
    .map(([key]) => key)
}
