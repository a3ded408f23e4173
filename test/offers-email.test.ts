import fs from 'node:fs'
import path from 'node:path'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIALECTS, type TestContext, createTestContext } from './helpers/test-context.js'

/**
 * Issue 21, the e-mail touchpoint: `POST /v1/offers/sends` prepares one message per consenting subject
 * through the outbox (grant on record for the touchpoint's purpose, still allowed: not withdrawn,
 * objected or restricted; an address in the vault; within the frequency cap), each with a one-click
 * unsubscribe link (RFC 8058) whose token names nobody in clear; the link records the withdrawal once,
 * a tampered or expired one is a 400 naming the token, and no address reaches the logs.
 */
const MARKETING = 'marketing.advertising.first_party'
const EMAIL = 'offers_email'
const ACTOR = { kind: 'cli', command: 'test' } as const

interface Mail {
  kind: string
  to: string
  subject: string
  text: string
  headers: Record<string, string>
}

for (const dialect of DIALECTS) {
  describe(`offer e-mails on ${dialect}`, () => {
    let ctx: TestContext
    let version: string
    const logs: string[] = []
    const ids = new Map<string, string>()
    const outbox = () => path.join(ctx.config.dataDir, 'outbox')
    const mails = (): Mail[] => {
      if (!fs.existsSync(outbox())) return []
      return fs
        .readdirSync(outbox())
        .filter((n) => n.startsWith('ofm_'))
        .map((n) => JSON.parse(fs.readFileSync(path.join(outbox(), n), 'utf8')) as Mail)
    }
    const mailTo = (ref: string) => mails().filter((m) => m.to === `${ref}@mail.example`)
    const clearOutbox = () => fs.rmSync(outbox(), { recursive: true, force: true })

    async function consent(ref: string, purpose: string, decision: 'granted' | 'denied', j = 'UK') {
      const r = await ctx.request({
        method: 'PUT',
        url: `/v1/subjects/${ref}/consents/${purpose}`,
        as: 'storefront',
        payload: { decision, method: 'banner', noticeVersion: version, jurisdiction: j },
      })
      expect(r.statusCode, r.body).toBe(200)
    }

    /** A shopper with an address in the vault (unless `address` is false). */
    async function shopper(ref: string, grants: string[], address = true, j = 'UK') {
      await consent(ref, 'personalize.recommendations', 'granted', j)
      for (const purpose of grants) await consent(ref, purpose, 'granted', j)
      const subjectId = (await ctx.services.identity.findSubjectId(ref))!
      ids.set(ref, subjectId)
      if (address)
        await ctx.services.identity.writeVault(ctx.storage.db, subjectId, {
          email: `${ref}@mail.example`,
          name: `Name of ${ref}`,
        })
      return subjectId
    }

    const send = async () => {
      const r = await ctx.request({
        method: 'POST',
        url: '/v1/offers/sends',
        as: 'admin',
        payload: { touchpoint: EMAIL },
      })
      expect(r.statusCode, r.body).toBe(200)
      return r.json<Record<string, unknown>>()
    }

    beforeAll(async () => {
      ctx = await createTestContext(dialect, {
        logger: pino({ level: 'trace' }, { write: (line: string) => void logs.push(line) }),
      })
      version = (await ctx.request({ method: 'GET', url: '/v1/notice' })).json().version
      const offer = await ctx.request({
        method: 'PUT',
        url: '/v1/offers',
        as: 'admin',
        payload: {
          id: 'spring-mail',
          content: {
            title: 'Spring offers',
            text: '10% off gifts',
            link: 'https://shop.example/s',
          },
          touchpoints: [EMAIL],
          purpose: MARKETING,
        },
      })
      expect(offer.statusCode, offer.body).toBe(200)
      await shopper('granted-1', [MARKETING])
      await shopper('never-asked', [])
      await shopper('withdrew', [MARKETING])
      await consent('withdrew', MARKETING, 'denied')
      const objected = await shopper('objected', [MARKETING])
      await ctx.storage.db
        .transaction()
        .execute((trx) => ctx.services.consent.recordObjection(trx, objected, [MARKETING], ACTOR))
      const restricted = await shopper('restricted', [MARKETING])
      await ctx.services.consent.setRestricted(ctx.storage.db, restricted, true, ACTOR)
      // In California the purpose defaults to opt-out (allowed), but nobody is mailed on a default.
      await shopper('ca-default', [], true, 'US-CA')
      await shopper('no-address', [MARKETING], false)
    })
    afterAll(async () => {
      await ctx?.close()
    })

    it('mails only subjects with a grant on record that still holds, with an address', async () => {
      const counts = await send()
      expect(counts).toEqual({
        touchpoint: EMAIL,
        candidates: 2,
        prepared: 1,
        capped: 0,
        noOffer: 0,
        noAddress: 1,
        byOffer: { 'spring-mail': 1 },
      })
      const sent = mails()
      expect(sent.map((m) => m.to)).toEqual(['granted-1@mail.example'])
      const [mail] = sent
      expect(mail!.kind).toBe('offer_email')
      expect(mail!.subject).toBe('Spring offers')
      expect(mail!.text).toContain('10% off gifts')
      expect(mail!.headers['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click')
      const link = /^<(.+)>$/.exec(mail!.headers['List-Unsubscribe']!)![1]!
      expect(mail!.text).toContain(link)
      // The link names nobody in clear: no reference, subject id or address, and no query string.
      expect(link).toMatch(/^http:\/\/127\.0\.0\.1:8080\/v1\/unsubscribe\/[A-Za-z0-9._-]{40,}$/)
      for (const secret of ['granted-1', ids.get('granted-1')!, 'mail.example'])
        expect(link).not.toContain(secret)
      // The file names carry a keyed pseudonym, not the subject id.
      expect(fs.readdirSync(outbox()).join(' ')).not.toContain(ids.get('granted-1')!)
    })

    it('the frequency cap (1 in 7 days) holds the next send back, and lets it go after', async () => {
      clearOutbox()
      expect(await send()).toMatchObject({ candidates: 2, prepared: 0, capped: 1, noAddress: 1 })
      expect(mails()).toEqual([])
      ctx.clock.advance(7 * 86_400_000 + 60_000)
      expect(await send()).toMatchObject({ prepared: 1, capped: 0 })
      expect(mailTo('granted-1')).toHaveLength(1)
    })

    it('an access export lists a waiting mail without its address; erasure removes it', async () => {
      const subjectId = await shopper('to-erase', [MARKETING])
      ctx.clock.advance(60_000)
      await send()
      expect(mailTo('to-erase')).toHaveLength(1)
      const exported = JSON.stringify(await ctx.services.offerMail.pendingFor(subjectId))
      expect(exported).toContain('expiresAt')
      expect(exported).not.toContain('mail.example')
      expect(await ctx.services.offerMail.discardFor(subjectId)).toBe(1)
      expect(mailTo('to-erase')).toEqual([])
    })

    it('the unsubscribe link: GET asks, POST withdraws once, a second click writes nothing', async () => {
      const subjectId = await shopper('clicker', [MARKETING])
      clearOutbox()
      ctx.clock.advance(60_000)
      await send()
      const [mail] = mailTo('clicker')
      const url = new URL(/^<(.+)>$/.exec(mail!.headers['List-Unsubscribe']!)![1]!).pathname
      const page = await ctx.request({ method: 'GET', url })
      expect(page.statusCode).toBe(200)
      expect(page.headers['content-type']).toMatch(/^text\/html/)
      expect(page.body).toContain('<form method="post">')
      expect(page.body).not.toContain('clicker')
      // GET changes nothing (mail scanners follow links).
      expect((await ctx.services.consent.decide(subjectId, MARKETING)).allowed).toBe(true)

      const oneClick = () =>
        ctx.request({
          method: 'POST',
          url,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          payload: 'List-Unsubscribe=One-Click',
        })
      const first = await oneClick()
      expect(first.statusCode, first.body).toBe(200)
      expect(first.json()).toEqual({ status: 'unsubscribed', purpose: MARKETING })
      const state = await ctx.services.consent.state(subjectId, {})
      const records = state.history.filter((r) => r.purpose === MARKETING)
      expect(records.at(-1)).toMatchObject({ decision: 'denied', method: 'email_unsubscribe' })
      expect((await ctx.services.consent.decide(subjectId, MARKETING)).allowed).toBe(false)

      const second = await oneClick()
      expect(second.statusCode).toBe(200)
      expect(second.json()).toEqual({ status: 'already_unsubscribed', purpose: MARKETING })
      const after = (await ctx.services.consent.state(subjectId, {})).history
      expect(after.filter((r) => r.purpose === MARKETING)).toHaveLength(records.length)

      // From the confirm page a browser gets a page back.
      const html = await ctx.request({
        method: 'POST',
        url,
        headers: { accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'List-Unsubscribe=One-Click',
      })
      expect(html.statusCode).toBe(200)
      expect(html.body).toContain('already unsubscribed')

      ctx.clock.advance(8 * 86_400_000)
      clearOutbox()
      await send()
      expect(mailTo('clicker')).toEqual([])
    })

    it('a tampered, cut or expired token is a 400 naming the token; nothing is written', async () => {
      const subjectId = await shopper('tamper', [MARKETING])
      clearOutbox()
      ctx.clock.advance(60_000)
      await send()
      const url = new URL(/^<(.+)>$/.exec(mailTo('tamper')[0]!.headers['List-Unsubscribe']!)![1]!)
        .pathname
      const flip = (s: string, i: number) =>
        s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1)
      const before = (await ctx.services.consent.state(subjectId, {})).history.length
      for (const bad of [flip(url, url.length - 5), flip(url, url.length - 30), url.slice(0, -4)]) {
        for (const method of ['GET', 'POST'] as const) {
          const r = await ctx.request({ method, url: bad })
          expect(r.statusCode, `${method} ${bad}`).toBe(400)
          expect(r.headers['content-type']).toMatch(/^application\/problem\+json/)
          expect(r.json().errors).toEqual([
            { field: 'params.token', reason: expect.stringContaining('not valid') },
          ])
        }
      }
      ctx.clock.advance(91 * 86_400_000)
      const expired = await ctx.request({ method: 'POST', url })
      expect(expired.statusCode).toBe(400)
      expect(expired.json().errors[0].reason).toContain('expired')
      expect((await ctx.services.consent.state(subjectId, {})).history).toHaveLength(before)
    })

    it('the unsubscribe method only withdraws: a grant through it is a 400 naming body.method', async () => {
      const r = await ctx.request({
        method: 'PUT',
        url: `/v1/subjects/granted-1/consents/${MARKETING}`,
        as: 'storefront',
        payload: { decision: 'granted', method: 'email_unsubscribe', noticeVersion: version },
      })
      expect(r.statusCode).toBe(400)
      expect(r.json().errors[0].field).toBe('body.method')
    })

    it('refuses a touchpoint that is not e-mail, naming the field', async () => {
      for (const touchpoint of ['recommendations_widget', 'nope']) {
        const r = await ctx.request({
          method: 'POST',
          url: '/v1/offers/sends',
          as: 'admin',
          payload: { touchpoint },
        })
        expect(r.statusCode).toBe(400)
        expect(r.json().errors[0].field, r.body).toBe('body.touchpoint')
      }
      const storefront = await ctx.request({
        method: 'POST',
        url: '/v1/offers/sends',
        as: 'storefront',
        payload: { touchpoint: EMAIL },
      })
      expect(storefront.statusCode).toBe(403)
    })

    it('no e-mail address ever reached the logs', () => {
      expect(logs.length).toBeGreaterThan(10)
      const all = logs.join('\n')
      expect(all).not.toContain('@mail.example')
    })
  })
}
