import { createHash, createHmac, hkdfSync } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createKeyringHolder,
  generateKeyFile,
  keyringFromFile,
} from '../src/modules/identity/index.js'
import { createCodeHasher } from '../src/modules/rights/rights.verification.js'
import type { VerificationMessage } from '../src/modules/rights/index.js'
import { seedShopper } from './helpers/shoppers.js'
import { DIALECTS, type TestContext, createTestContext } from './helpers/test-context.js'

const sha256Hex = (text: string) => createHash('sha256').update(text).digest('hex')

/**
 * A one-time code is stored as an HMAC under a key derived from the key file, so a copied database
 * alone does not give the code away (six digits: a bare hash falls to a million guesses in a second).
 */
for (const dialect of DIALECTS) {
  describe(`stored verification codes on ${dialect}`, () => {
    let ctx: TestContext
    beforeAll(async () => {
      ctx = await createTestContext(dialect)
    })
    afterAll(async () => {
      await ctx?.close()
    })

    const storedHash = async (id: string) =>
      (
        await sql<{
          code_hash: string
        }>`select code_hash from rights_verifications where request_id = ${id}`.execute(
          ctx.storage.db,
        )
      ).rows[0]?.code_hash
    const sentCode = (id: string) => {
      const dir = path.join(ctx.config.dataDir, 'outbox')
      const name = fs.readdirSync(dir).find((file) => file.startsWith(`${id}.`))!
      return (JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')) as VerificationMessage).code
    }
    async function waiting(ref: string) {
      const { subjectId } = await seedShopper(ctx, ref, { events: 1 })
      const { token } = ctx.services.auth.issueShopperToken(subjectId)
      const filed = await ctx.request({
        method: 'POST',
        url: '/v1/rights-requests',
        as: { token },
        payload: { type: 'access', subject: ref },
      })
      expect(filed.statusCode, filed.body).toBe(201)
      const id = filed.json().id as string
      return { id, token, code: sentCode(id) }
    }
    const verify = (id: string, token: string, code: string) =>
      ctx.request({
        method: 'POST',
        url: `/v1/rights-requests/${id}/verify`,
        as: { token },
        payload: { code },
      })

    it('stores a keyed hash that a copy of the database cannot be searched against', async () => {
      const { id, token, code } = await waiting('code-hash-1')
      const stored = (await storedHash(id))!
      expect(stored).toBeDefined()
      expect(stored).not.toBe(sha256Hex(`${id}:${code}`))
      // The attack from the issue needs a bare hash to test guesses against: there is none, in hex or
      // in any other spelling.
      const bare = createHash('sha256').update(`${id}:${code}`).digest()
      for (const spelling of ['hex', 'base64', 'base64url'] as const)
        expect(stored).not.toContain(bare.toString(spelling))
      // With the key file's pseudonym key (HKDF, its own label) the value is recomputed: it is
      // HMAC-SHA256 of request and code, nothing else.
      const keyring = ctx.services.keys.current()
      const derive = (secret: Buffer) =>
        Buffer.from(
          hkdfSync('sha256', secret, Buffer.alloc(0), 'candor/rights/verification-code/v1', 32),
        )
      const entry = keyring.pseudonym.active
      const mac = (key: Buffer, c: string) =>
        createHmac('sha256', key).update(`${id}:${c}`).digest('base64url')
      expect(stored).toBe(`h1:${entry.id}:${mac(derive(entry.secret), code)}`)
      // Another key file (the same key id, another secret) gets nowhere.
      const other = keyringFromFile(generateKeyFile(new Date()))
      expect(other.pseudonym.active.id).toBe(entry.id)
      expect(stored).not.toContain(mac(derive(other.pseudonym.active.secret), code))
      expect(createCodeHasher(createKeyringHolder(other)).matches(stored, id, code)).toBe(false)
      expect(createCodeHasher(ctx.services.keys).matches(stored, id, code)).toBe(true)
      // And the right code still works.
      const right = await verify(id, token, code)
      expect(right.statusCode, right.body).toBe(200)
    })

    it('a code stored the old way (bare SHA-256) still verifies, once, until it expires', async () => {
      const { id, token, code } = await waiting('code-hash-legacy')
      await sql`update rights_verifications set code_hash = ${sha256Hex(`${id}:${code}`)}
        where request_id = ${id}`.execute(ctx.storage.db)
      const wrong = await verify(id, token, code === '000000' ? '111111' : '000000')
      expect(wrong.statusCode).toBe(400)
      const right = await verify(id, token, code)
      expect(right.statusCode, right.body).toBe(200)
      expect(await storedHash(id)).toBeUndefined()
      expect((await verify(id, token, code)).statusCode).toBe(409)
    })

    it('a resend replaces an old-style hash with a keyed one', async () => {
      const { id, token, code } = await waiting('code-hash-resend')
      await sql`update rights_verifications set code_hash = ${sha256Hex(`${id}:${code}`)}
        where request_id = ${id}`.execute(ctx.storage.db)
      ctx.clock.advance(1000)
      const resent = await ctx.request({
        method: 'POST',
        url: `/v1/rights-requests/${id}/resend-code`,
        as: { token },
      })
      expect(resent.statusCode, resent.body).toBe(200)
      expect(await storedHash(id)).toMatch(/^h1:[a-z0-9]+:[A-Za-z0-9_-]{43}$/)
    })
  })
}
