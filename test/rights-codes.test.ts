import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  MAX_CODE_ATTEMPTS,
  MAX_RESENDS_PER_HOUR,
  type VerificationMessage,
} from '../src/modules/rights/index.js'
import { seedShopper } from './helpers/shoppers.js'
import { DIALECTS, type TestContext, createTestContext } from './helpers/test-context.js'

/**
 * The one-time code of a self-service rights request: a limit on wrong codes over the request's whole
 * life (resends give no new tries), a limit on resends per hour, and the demo inbox's newest code.
 */
for (const dialect of DIALECTS) {
  describe(`rights request codes on ${dialect}`, () => {
    let ctx: TestContext
    beforeAll(async () => {
      ctx = await createTestContext(dialect)
    })
    afterAll(async () => {
      await ctx?.close()
    })

    const outboxDir = () => path.join(ctx.config.dataDir, 'outbox')
    /** The outbox files of one request, by file name. */
    const outboxFiles = (id: string) =>
      fs.existsSync(outboxDir())
        ? fs.readdirSync(outboxDir()).filter((name) => name.startsWith(`${id}.`))
        : []
    const readFile = (name: string) =>
      JSON.parse(fs.readFileSync(path.join(outboxDir(), name), 'utf8')) as VerificationMessage

    /** A shopper with a self-service request waiting for its code. */
    async function selfServiceRequest(ref: string) {
      const { subjectId } = await seedShopper(ctx, ref, { events: 2 })
      const { token } = ctx.services.auth.issueShopperToken(subjectId)
      const filed = await ctx.request({
        method: 'POST',
        url: '/v1/rights-requests',
        as: { token },
        payload: { type: 'erasure', subject: ref },
      })
      expect(filed.statusCode, filed.body).toBe(201)
      expect(filed.json()).toMatchObject({ status: 'received', attemptsLeft: MAX_CODE_ATTEMPTS })
      const id = filed.json().id as string
      const [first] = outboxFiles(id)
      return { token, id, code: readFile(first!).code, subjectId }
    }
    const verify = (id: string, token: string, code: string) =>
      ctx.request({
        method: 'POST',
        url: `/v1/rights-requests/${id}/verify`,
        as: { token },
        payload: { code },
      })
    const resend = (id: string, token: string) =>
      ctx.request({ method: 'POST', url: `/v1/rights-requests/${id}/resend-code`, as: { token } })
    const status = async (id: string, token: string): Promise<Record<string, unknown>> =>
      (await ctx.request({ method: 'GET', url: `/v1/rights-requests/${id}`, as: { token } })).json<
        Record<string, unknown>
      >()
    /** A code that is not the one sent. */
    const wrong = (code: string) => (code === '000000' ? '111111' : '000000')

    it('counts wrong codes over the request’s whole life: resends give no new tries, and it ends denied', async () => {
      const filed = await selfServiceRequest('brute-force-1')
      const { id, code, subjectId } = filed
      let token = filed.token
      let latest = code
      const seen = new Set(outboxFiles(id))
      const answers: number[] = []
      // A guesser who asks for a fresh code after every second wrong guess, as often as allowed.
      for (let guess = 0; guess < 100; guess++) {
        const answer = await verify(id, token, wrong(latest))
        answers.push(answer.statusCode)
        if (answer.statusCode === 400) {
          const left = MAX_CODE_ATTEMPTS - answers.filter((s) => s === 400).length
          expect(answer.json()).toMatchObject({ code: 'validation_failed', attemptsLeft: left })
          expect(answer.json().errors[0].field).toBe('body.code')
        }
        if (guess % 2 === 1) {
          ctx.clock.advance(21 * 60_000) // keeps the guesser inside the hourly resend limit
          token = ctx.services.auth.issueShopperToken(subjectId).token // a fresh, live token
          const resent = await resend(id, token)
          if (resent.statusCode === 200) {
            expect(resent.json().attemptsLeft).toBe(
              MAX_CODE_ATTEMPTS - answers.filter((s) => s === 400).length,
            )
            const fresh = outboxFiles(id).filter((name) => !seen.has(name))
            expect(fresh).toHaveLength(1)
            seen.add(fresh[0]!)
            latest = readFile(fresh[0]!).code
          } else {
            expect(resent.statusCode).toBe(409)
          }
        }
      }
      // Five wrong codes were judged; every later guess was refused without being checked.
      expect(answers.filter((s) => s === 400)).toHaveLength(MAX_CODE_ATTEMPTS)
      expect(answers.slice(MAX_CODE_ATTEMPTS).every((s) => s === 409)).toBe(true)
      expect(await status(id, token)).toMatchObject({
        status: 'denied',
        deniedReason: 'identity_not_verified',
      })
      // Denied stays denied: not even the right code, nor a new one, reopens it.
      const right = await verify(id, token, latest)
      expect(right.statusCode).toBe(409)
      expect(right.headers['content-type']).toContain('application/problem+json')
      expect(right.json()).toMatchObject({
        code: 'conflict',
        attemptsLeft: 0,
        requestStatus: 'denied',
      })
      expect((await resend(id, token)).statusCode).toBe(409)
      expect((await status(id, token)).status).toBe('denied')
      expect(await ctx.services.identity.findSubjectId('brute-force-1')).toBeDefined()
      const audit = await ctx.services.audit.listForSubject(
        (await ctx.services.identity.findSubjectId('brute-force-1'))!,
      )
      expect(audit.filter((e) => e.action === 'rights.verification_failed')).toHaveLength(
        MAX_CODE_ATTEMPTS,
      )
    })

    it('counts parallel wrong codes exactly: twelve at once deny the request after five', async () => {
      const { token, id, code, subjectId } = await selfServiceRequest('parallel-guesses')
      const answers = await Promise.all(
        Array.from({ length: 12 }, () => verify(id, token, wrong(code))),
      )
      expect(answers.every((a) => a.statusCode === 400 || a.statusCode === 409)).toBe(true)
      expect(answers.filter((a) => a.json().attemptsLeft > 0).length).toBeLessThanOrEqual(4)
      expect((await status(id, token)).status).toBe('denied')
      const audit = await ctx.services.audit.listForSubject(subjectId)
      expect(audit.filter((e) => e.action === 'rights.verification_failed')).toHaveLength(
        MAX_CODE_ATTEMPTS,
      )
      expect(audit.filter((e) => e.action === 'rights.erasure.denied')).toHaveLength(1)
      expect((await verify(id, token, code)).statusCode).toBe(409)
    })

    it('sends at most three new codes an hour, then answers 429 naming the reason', async () => {
      const filed = await selfServiceRequest('resend-limit-1')
      const { id, code } = filed
      let token = filed.token
      for (let i = 1; i <= MAX_RESENDS_PER_HOUR; i++) {
        ctx.clock.advance(60_000)
        const resent = await resend(id, token)
        expect(resent.statusCode, resent.body).toBe(200)
        expect(resent.json()).toMatchObject({
          attemptsLeft: MAX_CODE_ATTEMPTS,
          resendsLeft: MAX_RESENDS_PER_HOUR - i,
        })
      }
      expect(outboxFiles(id)).toHaveLength(1 + MAX_RESENDS_PER_HOUR)
      ctx.clock.advance(60_000)
      const refused = await resend(id, token)
      expect(refused.statusCode).toBe(429)
      expect(refused.headers['content-type']).toContain('application/problem+json')
      expect(refused.json()).toMatchObject({
        code: 'rate_limited',
        reason: 'resend_limit',
        resendsPerHour: MAX_RESENDS_PER_HOUR,
      })
      // The first resend was 3 minutes ago: it leaves the hour in 57 minutes.
      expect(Number(refused.headers['retry-after'])).toBe(57 * 60)
      expect(outboxFiles(id)).toHaveLength(1 + MAX_RESENDS_PER_HOUR) // nothing was sent
      // The code of the first send no longer works (a new one replaced it).
      const stale = await verify(id, token, code)
      expect(stale.statusCode).toBe(400)
      expect(stale.json().attemptsLeft).toBe(MAX_CODE_ATTEMPTS - 1)
      // An hour after the first resend, one more is allowed.
      ctx.clock.advance(57 * 60_000)
      token = ctx.services.auth.issueShopperToken(filed.subjectId).token
      const later = await resend(id, token)
      expect(later.statusCode, later.body).toBe(200)
      expect(later.json().resendsLeft).toBe(0)
    })

    it('the demo inbox gives the newest code after resends, and that code verifies', async () => {
      const { token, id } = await selfServiceRequest('inbox-newest-1')
      const seen = new Set(outboxFiles(id))
      for (let i = 0; i < MAX_RESENDS_PER_HOUR; i++) {
        ctx.clock.advance(1000)
        expect((await resend(id, token)).statusCode).toBe(200)
        const fresh = outboxFiles(id).filter((name) => !seen.has(name))
        expect(fresh).toHaveLength(1)
        seen.add(fresh[0]!)
        const inbox = await ctx.request({
          method: 'GET',
          url: `/demo/inbox/${id}`,
          as: { token },
        })
        expect(inbox.statusCode).toBe(200)
        expect(inbox.json().code).toBe(readFile(fresh[0]!).code)
      }
      const inbox = await ctx.request({ method: 'GET', url: `/demo/inbox/${id}`, as: { token } })
      const verified = await verify(id, token, inbox.json().code as string)
      expect(verified.statusCode, verified.body).toBe(200)
      expect(verified.json().status).toBe('completed')
    })

    it('orders codes sent in the same instant by their sequence', async () => {
      const { token, id } = await selfServiceRequest('inbox-same-instant')
      const seen = new Set(outboxFiles(id))
      for (let i = 0; i < MAX_RESENDS_PER_HOUR; i++) {
        expect((await resend(id, token)).statusCode).toBe(200) // the manual clock stands still
        const fresh = outboxFiles(id).filter((name) => !seen.has(name))
        seen.add(fresh[0]!)
        const inbox = await ctx.request({ method: 'GET', url: `/demo/inbox/${id}`, as: { token } })
        expect(inbox.json().code).toBe(readFile(fresh[0]!).code)
      }
    })
  })
}
