import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type VerificationMessage } from '../src/modules/rights/index.js'
import { dataDirFiles, findInDataDir, tablesMentioning } from './helpers/data-dir-scan.js'
import { seedShopper } from './helpers/shoppers.js'
import { DIALECTS, type TestContext, createTestContext } from './helpers/test-context.js'

/**
 * The tables that keep a pseudonym after its erasure, by design (README, data-subject rights): the
 * append-only audit log, the request itself, and the model's list of subjects to leave out.
 */
const PSEUDONYM_TABLES = ['audit_log', 'recommend_forgotten', 'rights_requests']

/**
 * The outbox (one file per verification code, with the address it goes to) keeps a message only while
 * its code can be used: it goes when the code arrives, when it expires, when the request is closed and
 * when the subject is erased.
 */
for (const dialect of DIALECTS) {
  describe(`the rights outbox on ${dialect}`, () => {
    let ctx: TestContext
    beforeAll(async () => {
      ctx = await createTestContext(dialect)
    })
    afterAll(async () => {
      await ctx?.close()
    })

    const outboxDir = () => path.join(ctx.config.dataDir, 'outbox')
    const outboxFiles = (id?: string) =>
      fs.existsSync(outboxDir())
        ? fs
            .readdirSync(outboxDir())
            .filter((name) => id === undefined || name.startsWith(`${id}.`))
        : []
    const readFile = (name: string) =>
      JSON.parse(fs.readFileSync(path.join(outboxDir(), name), 'utf8')) as VerificationMessage &
        Record<string, unknown>

    /** A self-service request of `type` waiting for its code, filed with the shopper's token. */
    async function waitingRequest(ref: string, type: string, email = `${ref}@example.org`) {
      const { subjectId } = await seedShopper(ctx, ref, { email, events: 3 })
      const { token } = ctx.services.auth.issueShopperToken(subjectId)
      const filed = await ctx.request({
        method: 'POST',
        url: '/v1/rights-requests',
        as: { token },
        payload: { type, subject: ref },
      })
      expect(filed.statusCode, filed.body).toBe(201)
      const id = filed.json().id as string
      return { subjectId, token, id }
    }

    it('erasure takes the subject’s waiting messages with it: no address, reference or pseudonym left in any file', async () => {
      const ref = 'OUTBOX-ERASE-7Q1'
      const email = 'outbox.erase.7q1@probe.example'
      const { subjectId, token, id } = await waitingRequest(ref, 'access', email)
      expect(
        (
          await ctx.request({
            method: 'POST',
            url: `/v1/rights-requests/${id}/resend-code`,
            as: { token },
          })
        ).statusCode,
      ).toBe(200)
      expect(outboxFiles(id)).toHaveLength(2)
      expect(readFile(outboxFiles(id)[0]!).email).toBe(email)
      // Another shopper's waiting message stays.
      const other = await waitingRequest('OUTBOX-KEEP-7Q2', 'access')
      expect(findInDataDir(ctx.config.dataDir, [email]).length).toBeGreaterThan(0)

      const erased = await ctx.request({
        method: 'POST',
        url: '/v1/rights-requests',
        as: 'privacy_officer',
        payload: { type: 'erasure', subject: ref, jurisdiction: 'UK' },
      })
      expect(erased.statusCode, erased.body).toBe(201)
      expect(erased.json().status).toBe('completed')
      const job = await ctx.services.rights.get(erased.json().id as string)
      expect(job.stepsDone).toContain('erase:outbox')
      expect(job.result?.outbox).toEqual({ messages: 2 })
      expect(outboxFiles(id)).toHaveLength(0)
      expect(outboxFiles(other.id)).toHaveLength(1)

      // Every file of the data dir, read raw: the database (and its write-ahead log on SQLite), the
      // outbox and anything else there.
      const files = dataDirFiles(ctx.config.dataDir)
      expect(files.some((file) => file.startsWith('outbox/'))).toBe(true)
      if (dialect === 'sqlite') expect(files).toContain('candor.sqlite')
      expect(findInDataDir(ctx.config.dataDir, [email, ref])).toEqual([])
      // The pseudonym is in no file but the database, and there only where the design keeps it, with
      // nothing left to link it to a person: the append-only audit log and the request itself.
      const outsideDb = findInDataDir(ctx.config.dataDir, [subjectId]).filter(
        (hit) => !hit.startsWith('candor.sqlite'),
      )
      expect(outsideDb).toEqual([])
      const holding = await tablesMentioning(ctx, subjectId)
      expect(holding.filter((table) => !PSEUDONYM_TABLES.includes(table))).toEqual([])
      expect(await tablesMentioning(ctx, email)).toEqual([])
      expect(await tablesMentioning(ctx, ref)).toEqual([])
    })

    it('a message goes once its code is used, and when it expires; one names no subject', async () => {
      const used = await waitingRequest('outbox-used-1', 'portability')
      const [message] = outboxFiles(used.id)
      const content = readFile(message!)
      expect(content).not.toHaveProperty('subjectId')
      expect(JSON.stringify(content)).not.toContain(used.subjectId)
      const verified = await ctx.request({
        method: 'POST',
        url: `/v1/rights-requests/${used.id}/verify`,
        as: { token: used.token },
        payload: { code: content.code },
      })
      expect(verified.statusCode, verified.body).toBe(200)
      expect(outboxFiles(used.id)).toHaveLength(0)

      const waiting = await waitingRequest('outbox-expires-1', 'access')
      expect(outboxFiles(waiting.id)).toHaveLength(1)
      // Files from before this version (named without their expiry, naming the subject): one expired
      // long ago, one still usable. The first goes, the second stays until its own expiry.
      const at = ctx.clock.now().getTime()
      const legacy = (name: string, expiresAt: number) =>
        fs.writeFileSync(
          path.join(outboxDir(), name),
          JSON.stringify({
            kind: 'rights_verification_code',
            requestId: name.split('.')[0],
            subjectId: 'sub_legacy',
            email: 'legacy@probe.example',
            code: '123456',
            expiresAt: new Date(expiresAt).toISOString(),
            sentAt: new Date(expiresAt - 600_000).toISOString(),
            sequence: 1,
          }),
          { mode: 0o600 },
        )
      legacy('rr_legacyold.msg_aaaaaaaa.json', at - 86_400_000)
      legacy('rr_legacynew.msg_bbbbbbbb.json', at + 15 * 60_000)
      await ctx.services.rights.processPending()
      expect(outboxFiles('rr_legacyold')).toHaveLength(0)
      expect(outboxFiles('rr_legacynew')).toHaveLength(1)
      expect(outboxFiles(waiting.id)).toHaveLength(1)

      ctx.clock.advance(10 * 60_000 + 1)
      await ctx.services.rights.processPending()
      expect(outboxFiles(waiting.id)).toHaveLength(0)
      expect(outboxFiles('rr_legacynew')).toHaveLength(1)
      ctx.clock.advance(5 * 60_000)
      await ctx.services.rights.processPending()
      expect(outboxFiles()).toHaveLength(0)
    })

    it('a request denied by staff loses its waiting message', async () => {
      const { id } = await waitingRequest('outbox-denied-1', 'access')
      expect(outboxFiles(id)).toHaveLength(1)
      const denied = await ctx.request({
        method: 'POST',
        url: `/v1/rights-requests/${id}/deny`,
        as: 'privacy_officer',
        payload: { ground: 'excessive', reason: 'A test of the outbox' },
      })
      expect(denied.statusCode, denied.body).toBe(200)
      expect(outboxFiles(id)).toHaveLength(0)
    })
  })
}
