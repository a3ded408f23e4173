import { hkdfSync, randomInt } from 'node:crypto'
import { hmacSha256, safeEqual, sha256Hex } from '../../lib/crypto.js'
import { AppError } from '../../lib/errors.js'
import type { Db } from '../../storage/db.js'
import type { Actor } from '../audit/index.js'
import type { Keyring, KeyringHolder } from '../identity/index.js'
import type { RightsDeps } from './rights.service.js'
import type { StoredRightsRequest, createRightsRepository } from './rights.repository.js'

const CODE_TTL_MS = 10 * 60_000
/** Wrong codes one request accepts over its whole life (a resend does not give more). */
export const MAX_CODE_ATTEMPTS = 5
/** Fresh codes one request may ask for in any rolling hour, after the first. */
export const MAX_RESENDS_PER_HOUR = 3
const HOUR_MS = 3_600_000

/**
 * The label that derives the code-hashing key from a pseudonym key (HKDF-SHA256): one secret in the key
 * file serves both, and neither value can be computed from the other's use.
 */
const CODE_KEY_LABEL = 'candor/rights/verification-code/v1'
const LEGACY_HASH = /^[0-9a-f]{64}$/
type KeyEntry = Keyring['pseudonym']['active']

/**
 * How a code is stored: `h1:<pseudonym key id>:<HMAC-SHA256 under the derived key>`, so a copy of the
 * database alone gives no way to test the million possible codes. Codes stored before this (a bare
 * SHA-256 of `<request id>:<code>`) still verify by that rule until they expire (ten minutes), or are
 * replaced by a resend; nothing stores them any more.
 */
export function createCodeHasher(keys: KeyringHolder) {
  const derived = new Map<string, Buffer>()
  const keyFor = (entry: KeyEntry): Buffer => {
    let key = derived.get(entry.id)
    if (key === undefined) {
      key = Buffer.from(hkdfSync('sha256', entry.secret, Buffer.alloc(0), CODE_KEY_LABEL, 32))
      derived.set(entry.id, key)
    }
    return key
  }
  const mac = (entry: KeyEntry, requestId: string, code: string) =>
    `h1:${entry.id}:${hmacSha256(keyFor(entry), `${requestId}:${code}`).toString('base64url')}`
  return {
    hash(requestId: string, code: string): string {
      return mac(keys.current().pseudonym.active, requestId, code)
    },
    matches(stored: string, requestId: string, code: string): boolean {
      if (LEGACY_HASH.test(stored)) return safeEqual(stored, sha256Hex(`${requestId}:${code}`))
      const [version, keyId] = stored.split(':')
      if (version !== 'h1' || keyId === undefined) return false
      const entry = keys.current().pseudonym.byId(keyId) ?? keys.reload().pseudonym.byId(keyId)
      return entry !== undefined && safeEqual(stored, mac(entry, requestId, code))
    },
  }
}

/** A request waiting for its code: when the code expires, wrong codes and resends it still accepts. */
export interface CodeState {
  expiresAt: string
  attemptsLeft: number
  resendsLeft: number
}

/**
 * The one-time code that proves a self-service request comes from its subject. The rules live here and
 * only here: six digits, ten minutes, five wrong codes over the request's whole life (a resend gives no
 * new tries), three resends in any rolling hour, and a request denied for wrong codes stays denied.
 */
export function createCodeVerification(
  deps: Pick<RightsDeps, 'db' | 'clock' | 'audit' | 'identity' | 'notifier' | 'keys'>,
  repo: ReturnType<typeof createRightsRepository>,
  deny: (executor: Db, request: StoredRightsRequest) => Promise<void>,
) {
  const now = () => deps.clock.now()
  const hasher = createCodeHasher(deps.keys)

  async function mustFind(id: string): Promise<StoredRightsRequest> {
    const request = await repo.find(deps.db, id)
    if (request === undefined) throw new AppError('not_found', 'No rights request has this id')
    return request
  }

  /**
   * Makes a new code and sends it. The first code of a request inserts its verification row; a resend
   * (`resend` given) replaces the code only if no other resend got there first, so concurrent resends
   * cannot pass the hourly limit together.
   */
  async function sendCode(
    executor: Db,
    request: StoredRightsRequest,
    resend?: { previous: string[]; next: string[] },
  ): Promise<string> {
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0')
    const at = now()
    const expiresAt = new Date(at.getTime() + CODE_TTL_MS).toISOString()
    const codeHash = hasher.hash(request.id, code)
    if (resend === undefined) {
      await repo.putVerification(executor, request.id, codeHash, expiresAt, [])
    } else if (
      !(await repo.replaceCode(
        executor,
        request.id,
        codeHash,
        expiresAt,
        resend.previous,
        resend.next,
      ))
    ) {
      throw resendLimit(MAX_RESENDS_PER_HOUR, 60)
    }
    const vault = await deps.identity.readVault(request.subjectId, executor)
    await deps.notifier.sendVerificationCode({
      requestId: request.id,
      email: vault?.email,
      code,
      expiresAt,
      sentAt: at.toISOString(),
      sequence: (resend?.next.length ?? 0) + 1,
    })
    return expiresAt
  }

  function resendLimit(limit: number, retryAfterSeconds: number): AppError {
    return new AppError(
      'rate_limited',
      `No more than ${limit} new codes an hour for one request; try again later`,
      { details: { reason: 'resend_limit', resendsPerHour: limit, retryAfterSeconds } },
    )
  }

  return {
    /** Sends the first code of a new self-service request, in the transaction that files it. */
    async sendFirst(executor: Db, request: StoredRightsRequest): Promise<void> {
      await sendCode(executor, request)
    },

    /**
     * Checks a one-time code (6 digits, 10 minutes). A request accepts five wrong codes over its whole
     * life, resends included; the fifth denies it for good. A wrong code's answer says how many are left.
     */
    async verify(id: string, code: string, actor: Actor): Promise<StoredRightsRequest> {
      const request = await mustFind(id)
      if (request.status !== 'received') {
        throw new AppError(
          'conflict',
          `This request is ${request.status}, not waiting for a code`,
          {
            details: { requestStatus: request.status, attemptsLeft: 0 },
          },
        )
      }
      const verification = await repo.findVerification(deps.db, id)
      if (verification === undefined)
        throw new AppError('conflict', 'No code was sent for this request')
      const at = now()
      const attemptsLeft = Math.max(0, MAX_CODE_ATTEMPTS - verification.attempts)
      if (verification.expiresAt < at.toISOString()) {
        throw new AppError('validation_failed', 'The code has expired; ask for a new one', {
          issues: [{ field: 'body.code', reason: 'has expired' }],
          details: { attemptsLeft },
        })
      }
      if (!hasher.matches(verification.codeHash, id, code)) {
        let counted: number | undefined
        await deps.db.transaction().execute(async (trx) => {
          counted = await repo.countAttempt(trx, id, MAX_CODE_ATTEMPTS)
          if (counted === undefined) return
          await deps.audit.record(trx, {
            actor,
            action: 'rights.verification_failed',
            subjectId: request.subjectId,
            details: { requestId: id, attempt: counted },
          })
          if (counted >= MAX_CODE_ATTEMPTS) {
            await repo.deleteVerification(trx, id)
            await deny(trx, request)
          }
        })
        const left = counted === undefined ? 0 : MAX_CODE_ATTEMPTS - counted
        // A denied request's codes are of no use to anyone.
        if (left === 0) await deps.notifier.discard([id])
        throw new AppError(
          'validation_failed',
          left === 0
            ? 'The code is not right, and that was the last try: this request is now denied'
            : `The code is not right; ${left} ${left === 1 ? 'try' : 'tries'} left`,
          {
            issues: [{ field: 'body.code', reason: 'does not match the code sent' }],
            details: { attemptsLeft: left, ...(left === 0 ? { requestStatus: 'denied' } : {}) },
          },
        )
      }
      if (verification.attempts >= MAX_CODE_ATTEMPTS) {
        // Only reachable in a race with the last wrong code: that one wins.
        throw new AppError('conflict', 'This request is denied, not waiting for a code', {
          details: { requestStatus: 'denied', attemptsLeft: 0 },
        })
      }
      await deps.db.transaction().execute(async (trx) => {
        await repo.deleteVerification(trx, id)
        await repo.update(trx, id, { status: 'verified', verifiedAt: at.toISOString() })
        await deps.audit.record(trx, {
          actor,
          action: `rights.${request.type}.verified`,
          subjectId: request.subjectId,
          details: { requestId: id },
        })
      })
      // The code arrived: its message (address and code) has done its job.
      await deps.notifier.discard([id])
      return mustFind(id)
    },

    /**
     * Sends a fresh code (the old one stops working). It gives no new tries: wrong codes count over the
     * request's whole life. At most three resends in any rolling hour; past that a `rate_limited` error.
     */
    async resend(id: string): Promise<CodeState> {
      const request = await mustFind(id)
      if (request.status !== 'received')
        throw new AppError('conflict', `This request is ${request.status}`, {
          details: { requestStatus: request.status, attemptsLeft: 0 },
        })
      const verification = await repo.findVerification(deps.db, id)
      if (verification === undefined)
        throw new AppError('conflict', 'No code was sent for this request')
      const at = now().getTime()
      const recent = verification.resentAt.filter((t) => Date.parse(t) > at - HOUR_MS)
      if (recent.length >= MAX_RESENDS_PER_HOUR) {
        const oldest = Math.min(...recent.map((t) => Date.parse(t)))
        throw resendLimit(
          MAX_RESENDS_PER_HOUR,
          Math.max(1, Math.ceil((oldest + HOUR_MS - at) / 1000)),
        )
      }
      const next = [...recent, new Date(at).toISOString()]
      const expiresAt = await deps.db
        .transaction()
        .execute((trx) => sendCode(trx, request, { previous: verification.resentAt, next }))
      return {
        expiresAt,
        attemptsLeft: Math.max(0, MAX_CODE_ATTEMPTS - verification.attempts),
        resendsLeft: MAX_RESENDS_PER_HOUR - next.length,
      }
    },

    /** Where a request waiting for its code stands: tries and resends left; undefined for any other. */
    async state(id: string): Promise<CodeState | undefined> {
      const verification = await repo.findVerification(deps.db, id)
      if (verification === undefined) return undefined
      const at = now().getTime()
      return {
        expiresAt: verification.expiresAt,
        attemptsLeft: Math.max(0, MAX_CODE_ATTEMPTS - verification.attempts),
        resendsLeft: Math.max(
          0,
          MAX_RESENDS_PER_HOUR -
            verification.resentAt.filter((t) => Date.parse(t) > at - HOUR_MS).length,
        ),
      }
    },
  }
}
