import { randomBytes } from 'node:crypto'
import { Writable } from 'node:stream'
import { pino } from 'pino'
import fc from 'fast-check'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { blindAddresses, reblindAnswer } from '../src/modules/insights/cleanroom.partner.js'
import { reblind, uploadScalar } from '../src/modules/insights/cleanroom.psi.js'
import { DIALECTS, type TestContext, createTestContext } from './helpers/test-context.js'

/**
 * Issue 19, the clean room through HTTP on every database: the whole exchange with a partner key
 * (blinding on the partner's side with the code `candor cleanroom` runs), who matches (only shoppers
 * who granted the vendor's clean-room purpose and have an address in the vault), the overlap query,
 * erasure, retention, and a property: no answer or error of any clean-room route holds an address, a
 * value the partner sent, a doubly blinded join key or a subject id, in any letter case.
 */
const PURPOSE = 'analytics.clean_room'
const DAY_MS = 86_400_000

interface Shopper {
  ref: string
  email: string
  subjectId: string
}

async function grant(ctx: TestContext, ref: string, purpose: string, decision = 'granted') {
  // A second apart, so each change is unambiguously later than the one before.
  ctx.clock.advance(1000)
  const version = (await ctx.request({ method: 'GET', url: '/v1/notice' })).json().version as string
  const response = await ctx.request({
    method: 'PUT',
    url: `/v1/subjects/${ref}/consents/${purpose}`,
    as: 'storefront',
    payload: { decision, method: 'banner', noticeVersion: version, jurisdiction: 'UK' },
  })
  expect(response.statusCode, response.body).toBe(200)
}

async function shopper(ctx: TestContext, ref: string, grants: string[]): Promise<Shopper> {
  const email = `${ref}@shoppers.example`
  for (const purpose of grants) await grant(ctx, ref, purpose)
  const subjectId = await ctx.services.identity.ensureSubjectId(ref)
  await ctx.services.identity.writeVault(ctx.storage.db, subjectId, { email, name: `Name ${ref}` })
  return { ref, email, subjectId }
}

async function matchesOf(ctx: TestContext, uploadId: string): Promise<string[]> {
  const { rows } = await sql<{ subject_id: string }>`
    select subject_id from cleanroom_matches where upload_id = ${uploadId}`.execute(ctx.storage.db)
  return rows.map((r) => r.subject_id).sort()
}

async function count(ctx: TestContext, table: string): Promise<number> {
  const { rows } = await sql<{ n: number | string }>`
    select count(*) as n from ${sql.table(table)}`.execute(ctx.storage.db)
  return Number(rows[0]?.n)
}

for (const dialect of DIALECTS) {
  describe(`the clean room on ${dialect}`, { timeout: 240_000 }, () => {
    let ctx: TestContext
    let inside: Shopper[]
    let notListed: Shopper[]
    let refused: Shopper[]
    let withdrawn: Shopper
    const outsiders = Array.from({ length: 15 }, (_, i) => `outsider-${i}@elsewhere.example`)

    // Everything the app logs, at its most talkative, and every request line.
    const logged: string[] = []
    beforeAll(async () => {
      const sink = new Writable({
        write(chunk: Buffer, _encoding, done) {
          logged.push(chunk.toString())
          done()
        },
      })
      ctx = await createTestContext(dialect, {
        logger: pino({ level: 'trace' }, sink),
        requestLog: (line) => logged.push(JSON.stringify(line)),
      })
      inside = []
      for (let i = 0; i < 30; i++)
        inside.push(await shopper(ctx, `cr-in-${i}`, [PURPOSE, 'analytics.reporting']))
      notListed = []
      for (let i = 0; i < 4; i++) notListed.push(await shopper(ctx, `cr-other-${i}`, [PURPOSE]))
      refused = []
      for (let i = 0; i < 4; i++)
        refused.push(await shopper(ctx, `cr-no-${i}`, ['analytics.reporting']))
      withdrawn = await shopper(ctx, 'cr-withdrew', [PURPOSE])
      await grant(ctx, 'cr-withdrew', PURPOSE, 'denied')
    })
    afterAll(async () => {
      await ctx?.close()
    })

    /** The partner's list: the shoppers inside (case and spaces changed), refusers, outsiders. */
    const partnerList = () => [
      ...inside.map((s, i) => (i % 2 === 0 ? ` ${s.email.toUpperCase()}` : s.email)),
      ...refused.map((s) => s.email),
      withdrawn.email,
      ...outsiders,
    ]

    async function exchange(addresses: string[], secret = randomBytes(32)) {
      const body = await blindAddresses(addresses, secret)
      const upload = await ctx.request({
        method: 'POST',
        url: '/v1/cleanroom/uploads',
        as: 'partner',
        payload: body,
      })
      expect(upload.statusCode, upload.body).toBe(201)
      const answer = upload.json<{ uploadId: string; candorBlinded: string[] }>()
      const reblinded = await reblindAnswer(answer, secret)
      const matched = await ctx.request({
        method: 'POST',
        url: `/v1/cleanroom/uploads/${answer.uploadId}/matches`,
        as: 'partner',
        payload: reblinded,
      })
      expect(matched.statusCode, matched.body).toBe(200)
      return { body, upload, answer, reblinded, matched }
    }

    it('matches exactly the listed shoppers who granted the purpose and says nothing of how many', async () => {
      const { answer, matched } = await exchange(partnerList())
      expect(matched.json()).toEqual({ uploadId: answer.uploadId, state: 'matched' })
      // Padded: the list's length tells the partner only roughly how many shoppers consented.
      expect(answer.candorBlinded.length % 100).toBe(0)
      expect(await matchesOf(ctx, answer.uploadId)).toEqual(inside.map((s) => s.subjectId).sort())
      // Nothing blinded is kept once matched.
      expect(await count(ctx, 'cleanroom_partner_values')).toBe(0)
      expect(await count(ctx, 'cleanroom_pending')).toBe(0)
    })

    it('matches an upload once, even when two matchings race', async () => {
      const secret = randomBytes(32)
      const upload = await ctx.request({
        method: 'POST',
        url: '/v1/cleanroom/uploads',
        as: 'partner',
        payload: await blindAddresses(partnerList(), secret),
      })
      const answer = upload.json<{ uploadId: string; candorBlinded: string[] }>()
      const payload = await reblindAnswer(answer, secret)
      const url = `/v1/cleanroom/uploads/${answer.uploadId}/matches`
      const both = await Promise.all([
        ctx.request({ method: 'POST', url, as: 'partner', payload }),
        ctx.request({ method: 'POST', url, as: 'partner', payload }),
      ])
      expect(both.map((r) => r.statusCode).sort()).toEqual([200, 409])
      expect(await matchesOf(ctx, answer.uploadId)).toHaveLength(inside.length)
    })

    it('answers the overlap through the DP engine, and only shoppers who still consent count', async () => {
      const { answer } = await exchange(partnerList())
      // One of the overlap withdraws after matching: not counted from then on.
      await grant(ctx, inside[0]!.ref, PURPOSE, 'denied')
      const response = await ctx.request({
        method: 'POST',
        url: '/v1/cleanroom/queries',
        as: 'partner',
        payload: { uploadId: answer.uploadId, query: 'overlap', epsilon: 1 },
      })
      expect(response.statusCode, response.body).toBe(200)
      const result = response.json<{
        cells: { value: number; noiseScale: number }[]
        budget: { spentRho: number }
        suppressed: number
      }>()
      expect(result.cells).toHaveLength(1)
      // 29 shoppers, each counted once (sensitivity 1): noise of scale 1 at epsilon 1.
      expect(result.cells[0]!.noiseScale).toBeLessThanOrEqual(1.01)
      expect(Math.abs(result.cells[0]!.value - 29)).toBeLessThan(6)
      expect(result.budget.spentRho).toBeCloseTo(0.5)
      await grant(ctx, inside[0]!.ref, PURPOSE)
      // Another key's upload is not found; an unmatched upload cannot be queried.
      const other = await ctx.request({
        method: 'POST',
        url: '/v1/admin/keys',
        as: 'admin',
        payload: { role: 'partner', name: 'second', vendor: 'retail-media' },
      })
      const stranger = await ctx.request({
        method: 'POST',
        url: '/v1/cleanroom/queries',
        as: { token: other.json().key as string },
        payload: { uploadId: answer.uploadId, query: 'overlap', epsilon: 0.1, dryRun: true },
      })
      expect(stranger.statusCode).toBe(404)
      // Audited with counts and costs only.
      const audit = await ctx.services.audit.list({ action: 'cleanroom.query', limit: 10 })
      expect(audit.length).toBeGreaterThan(0)
      for (const entry of [
        ...audit,
        ...(await ctx.services.audit.list({ action: 'cleanroom.upload', limit: 10 })),
        ...(await ctx.services.audit.list({ action: 'cleanroom.match', limit: 10 })),
      ]) {
        const text = JSON.stringify(entry).toLowerCase()
        for (const s of inside) expect(text).not.toContain(s.subjectId.toLowerCase())
        expect(text).not.toContain('@')
      }
    })

    it('takes an erased shopper out of every overlap', async () => {
      const { answer } = await exchange(partnerList())
      const gone = inside[1]!
      expect(await matchesOf(ctx, answer.uploadId)).toContain(gone.subjectId)
      const erased = await ctx.request({
        method: 'POST',
        url: '/v1/rights-requests',
        as: 'privacy_officer',
        payload: { type: 'erasure', subject: gone.ref, jurisdiction: 'UK' },
      })
      expect(erased.statusCode, erased.body).toBe(201)
      expect(erased.json().status).toBe('completed')
      const { rows } = await sql<{ n: number | string }>`
        select count(*) as n from cleanroom_matches where subject_id = ${gone.subjectId}`.execute(
        ctx.storage.db,
      )
      expect(Number(rows[0]?.n)).toBe(0)
      expect(await matchesOf(ctx, answer.uploadId)).toHaveLength(inside.length - 1)
      inside = inside.filter((s) => s !== gone)
    })

    it('deletes uploads and their matches once the charter retention has passed', async () => {
      await exchange(partnerList())
      expect(await count(ctx, 'cleanroom_uploads')).toBeGreaterThan(0)
      ctx.clock.advance(29 * DAY_MS)
      await ctx.services.retention.run()
      expect(await count(ctx, 'cleanroom_uploads')).toBeGreaterThan(0)
      ctx.clock.advance(2 * DAY_MS)
      const report = await ctx.services.retention.run()
      expect(report.deleted.cleanroom?.cleanroomUploads).toBeGreaterThan(0)
      expect(await count(ctx, 'cleanroom_uploads')).toBe(0)
      expect(await count(ctx, 'cleanroom_matches')).toBe(0)
    })

    it('no answer or error of a clean-room route holds an address, a sent or blinded value or a subject id', async () => {
      const known = [...inside, ...refused, withdrawn].map((s) => s.email)
      const bodies: string[] = []
      const secrets: string[] = []
      const sentAddresses = new Set<string>()
      const seen = (text: string) => bodies.push(text.toLowerCase())
      await fc.assert(
        fc.asyncProperty(
          fc.subarray(known, { minLength: 0 }),
          fc.array(fc.emailAddress(), { minLength: 1, maxLength: 8 }),
          fc.boolean(),
          fc.nat(),
          async (ours, theirs, upper, pick) => {
            const addresses = [...ours, ...theirs]
            for (const a of theirs) sentAddresses.add(a.trim().toLowerCase())
            const secret = randomBytes(32)
            const body = await blindAddresses(addresses, secret)
            const sent = upper ? { blinded: body.blinded.map((v) => v.toUpperCase()) } : body
            const upload = await ctx.request({
              method: 'POST',
              url: '/v1/cleanroom/uploads',
              as: 'partner',
              payload: sent,
            })
            expect(upload.statusCode, upload.body).toBe(201)
            const answer = upload.json<{ uploadId: string; candorBlinded: string[] }>()
            // The upload's answer holds Candor's own values blinded once, by design; nothing else.
            seen(JSON.stringify({ ...answer, candorBlinded: [] }))
            const b = uploadScalar(
              ctx.services.keys.current().pseudonym.active.secret,
              answer.uploadId,
            )
            secrets.push(...body.blinded, ...body.blinded.map((v) => reblind(v, b)!))
            const reblinded = await reblindAnswer(answer, secret)
            secrets.push(...reblinded.reblinded)
            // Errors: a wrong count, a bad value among good ones, a bad upload body, then the match,
            // a second match, and queries (one real, one refused, one unknown upload).
            const at = pick % reblinded.reblinded.length
            const bad = [...reblinded.reblinded]
            bad[at] = `${bad[at]!.slice(0, 62)}zz`
            const tries = [
              {
                url: `/v1/cleanroom/uploads/${answer.uploadId}/matches`,
                payload: { reblinded: reblinded.reblinded.slice(1) },
              },
              {
                url: `/v1/cleanroom/uploads/${answer.uploadId}/matches`,
                payload: { reblinded: bad },
              },
              {
                url: '/v1/cleanroom/uploads',
                payload: { blinded: [...body.blinded, 'f'.repeat(64)] },
              },
              {
                url: '/v1/cleanroom/uploads',
                payload: { blinded: body.blinded, extra: addresses },
              },
              { url: `/v1/cleanroom/uploads/${answer.uploadId}/matches`, payload: reblinded },
              { url: `/v1/cleanroom/uploads/${answer.uploadId}/matches`, payload: reblinded },
              {
                url: '/v1/cleanroom/queries',
                payload: {
                  uploadId: answer.uploadId,
                  query: 'purchases_by_category',
                  epsilon: 0.05,
                },
              },
              {
                url: '/v1/cleanroom/queries',
                payload: {
                  uploadId: answer.uploadId,
                  query: 'conversion',
                  campaignDate: '2026-02-01',
                  epsilon: 0.05,
                },
              },
              {
                url: '/v1/cleanroom/queries',
                payload: { uploadId: 'cru_nosuchupload', query: 'overlap', epsilon: 0.05 },
              },
            ]
            const expected = [400, 400, 400, 400, 200, 409, 200, 200, 404]
            for (const [i, attempt] of tries.entries()) {
              const response = await ctx.request({ method: 'POST', as: 'partner', ...attempt })
              expect(response.statusCode, `${attempt.url} ${response.body}`).toBe(expected[i])
              seen(response.body)
            }
          },
        ),
        { numRuns: 12 },
      )
      const ids = [...inside, ...notListed, ...refused, withdrawn].map((s) => s.subjectId)
      const needles = [
        ...known,
        ...sentAddresses,
        ...secrets.map((s) => s.toLowerCase()),
        ...ids.map((s) => s.toLowerCase()),
      ]
      for (const body of bodies)
        for (const needle of needles) expect(body.includes(needle), needle).toBe(false)
      // Nor any log line (vault reads and blinding log nothing of what they read).
      const logs = logged.join('\n').toLowerCase()
      expect(logs).toContain('/v1/cleanroom/uploads')
      for (const needle of needles) expect(logs.includes(needle), `log: ${needle}`).toBe(false)
      expect(bodies.length).toBeGreaterThan(12 * 9)
    })
  })
}
