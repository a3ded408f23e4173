import { sql } from 'kysely'
import { inflateRawSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DAY_MS } from '../src/lib/clock.js'
import { createOutboxNotifier } from '../src/modules/rights/index.js'
import type { Role } from '../src/modules/auth/index.js'
import { DIALECTS, type TestContext, createTestContext } from './helpers/test-context.js'
import { PERSONAL, seedShopper } from './helpers/shoppers.js'
import { dumpDatabase } from './helpers/raw-scan.js'
import path from 'node:path'

/** Files a rights request (`POST /v1/rights-requests`) with the credential `as`. */
function fileRequest(ctx: TestContext, as: Role | { token: string }, payload: object) {
  return ctx.request({ method: 'POST', url: '/v1/rights-requests', as, payload })
}

for (const dialect of DIALECTS) {
  describe(`rights requests on ${dialect}`, () => {
    let ctx: TestContext
    beforeAll(async () => {
      ctx = await createTestContext(dialect)
    })
    afterAll(async () => {
      await ctx?.close()
    })
    const outbox = () => createOutboxNotifier(path.join(ctx.config.dataDir, 'outbox'))

    it('erases a subject everywhere when staff ask, leaving no identifier, PII or event behind', async () => {
      const { subjectId } = await seedShopper(ctx, 'erase-me-4711', {
        email: 'erase.me@example.org',
        events: 30,
      })
      await seedShopper(ctx, 'keep-me-4712', { email: 'keep.me@example.org', events: 10 })
      const refHashes = await sql<{
        ref_hash: string
      }>`select ref_hash from subject_refs where subject_id = ${subjectId}`.execute(ctx.storage.db)
      const response = await fileRequest(ctx, 'privacy_officer', {
        type: 'erasure',
        subject: 'erase-me-4711',
        jurisdiction: 'UK',
      })
      expect(response.statusCode, response.body).toBe(201)
      const request = response.json()
      expect(request).toMatchObject({
        type: 'erasure',
        status: 'completed',
        regime: 'gdpr',
        channel: 'staff',
      })
      expect(request.result.events).toEqual({ events: 30 })
      expect(await ctx.services.identity.findSubjectId('erase-me-4711')).toBeUndefined()
      const dump = await dumpDatabase(ctx)
      for (const needle of [
        'erase.me@example.org',
        'Name of erase-me-4711',
        'erase-me-4711',
        ...refHashes.rows.map((r) => r.ref_hash),
      ]) {
        expect(dump.includes(needle), needle).toBe(false)
      }
      // The other shopper is untouched.
      expect(dump).toContain('keep-me-4712-ev-3')
      const later = await ctx.services.identity.ensureSubjectId('erase-me-4711')
      expect(later).not.toBe(subjectId)
      const audit = await ctx.services.audit.listForSubject(subjectId)
      expect(audit.map((e) => e.action)).toContain('rights.erasure.completed')
      expect((await ctx.services.audit.verify()).ok).toBe(true)
    })

    it('verifies self-service requests by a one-time code, then exports everything held', async () => {
      const { subjectId } = await seedShopper(ctx, 'self-service-1', { email: 'self@example.org' })
      const { token } = ctx.services.auth.issueShopperToken(subjectId)
      const filed = await fileRequest(
        ctx,
        { token },
        { type: 'portability', subject: 'self-service-1' },
      )
      expect(filed.statusCode).toBe(201)
      expect(filed.json()).toMatchObject({ status: 'received', channel: 'self_service' })
      const id = filed.json().id as string
      const [message] = outbox().read(id)
      expect(message?.code).toMatch(/^\d{6}$/)
      expect(message?.email).toBe('self@example.org')
      const wrong = await ctx.request({
        method: 'POST',
        url: `/v1/rights-requests/${id}/verify`,
        as: { token },
        payload: { code: message!.code === '000000' ? '111111' : '000000' },
      })
      expect(wrong.statusCode).toBe(400)
      expect(wrong.json()).toMatchObject({ attemptsLeft: 4 })
      expect(wrong.json().errors[0].field).toBe('body.code')
      const right = await ctx.request({
        method: 'POST',
        url: `/v1/rights-requests/${id}/verify`,
        as: { token },
        payload: { code: message!.code },
      })
      expect(right.statusCode).toBe(200)
      expect(right.json().status).toBe('completed')
      const exported = await ctx.request({
        method: 'GET',
        url: `/v1/rights-requests/${id}/export`,
        as: { token },
      })
      expect(exported.statusCode).toBe(200)
      const data = exported.json()
      expect(data.identity.vault.email).toBe('self@example.org')
      expect(data.consent.consentRecords.map((r: { purpose: string }) => r.purpose)).toContain(
        PERSONAL,
      )
      expect(data.events.events).toHaveLength(5)
      expect(data.audit.entries.map((e: { action: string }) => e.action)).toContain(
        'consent.recorded',
      )
      const zip = await ctx.request({
        method: 'GET',
        url: `/v1/rights-requests/${id}/export?format=zip`,
        as: { token },
      })
      expect(zip.headers['content-type']).toBe('application/zip')
      const bytes = zip.rawPayload
      expect(bytes.readUInt32LE(0)).toBe(0x04034b50)
      const nameLength = bytes.readUInt16LE(26)
      expect(bytes.subarray(30, 30 + nameLength).toString()).toBe('export.json')
      const first = inflateRawSync(
        bytes.subarray(30 + nameLength, 30 + nameLength + bytes.readUInt32LE(18)),
      )
      expect(JSON.parse(first.toString()).identity.vault.email).toBe('self@example.org')
      expect(bytes.includes(Buffer.from('events/events.csv'))).toBe(true)
      // Another shopper cannot see this request.
      const other = ctx.services.auth.issueShopperToken(
        await ctx.services.identity.ensureSubjectId('nosy'),
      ).token
      const peek = await ctx.request({
        method: 'GET',
        url: `/v1/rights-requests/${id}`,
        as: { token: other },
      })
      expect(peek.statusCode).toBe(403)
    })

    it('denies a request after five wrong codes, and refuses an expired code', async () => {
      await seedShopper(ctx, 'forgetful', { events: 1 })
      const filed = await fileRequest(ctx, 'storefront', { type: 'access', subject: 'forgetful' })
      const id = filed.json().id as string
      const code = outbox().read(id)[0]!.code
      const wrongCode = code === '123456' ? '654321' : '123456'
      for (let i = 0; i < 5; i++) {
        const attempt = await ctx.request({
          method: 'POST',
          url: `/v1/rights-requests/${id}/verify`,
          as: 'storefront',
          payload: { code: wrongCode },
        })
        expect(attempt.statusCode).toBe(400)
      }
      const state = await ctx.request({
        method: 'GET',
        url: `/v1/rights-requests/${id}`,
        as: 'storefront',
      })
      expect(state.json()).toMatchObject({
        status: 'denied',
        deniedReason: 'identity_not_verified',
      })
      const late = await fileRequest(ctx, 'storefront', { type: 'access', subject: 'forgetful' })
      const lateId = late.json().id as string
      ctx.clock.advance(11 * 60_000)
      const expired = await ctx.request({
        method: 'POST',
        url: `/v1/rights-requests/${lateId}/verify`,
        as: 'storefront',
        payload: { code: outbox().read(lateId)[0]!.code },
      })
      expect(expired.statusCode).toBe(400)
      expect(expired.json().errors[0].reason).toBe('has expired')
    })

    it('sets deadlines by jurisdiction, lists overdue requests, counts them, and extends only in time', async () => {
      await seedShopper(ctx, 'deadline-uk', { events: 1 })
      await seedShopper(ctx, 'deadline-ca', { events: 1 })
      const uk = (
        await fileRequest(ctx, 'storefront', {
          type: 'access',
          subject: 'deadline-uk',
          jurisdiction: 'UK',
        })
      ).json()
      const ca = (
        await fileRequest(ctx, 'storefront', {
          type: 'access',
          subject: 'deadline-ca',
          jurisdiction: 'US-CA',
        })
      ).json()
      const received = new Date(uk.receivedAt)
      const expectedUk = new Date(received)
      expectedUk.setUTCMonth(expectedUk.getUTCMonth() + 1)
      expect(uk.dueAt).toBe(expectedUk.toISOString())
      expect(ca).toMatchObject({
        regime: 'ccpa',
        dueAt: new Date(received.getTime() + 45 * DAY_MS).toISOString(),
      })
      ctx.clock.advance(40 * DAY_MS)
      const overdue = await ctx.request({
        method: 'GET',
        url: '/v1/rights-requests?overdue=true',
        as: 'privacy_officer',
      })
      const ids = overdue.json().requests.map((r: { id: string }) => r.id)
      expect(ids).toContain(uk.id)
      expect(ids).not.toContain(ca.id)
      expect(overdue.json().requests.find((r: { id: string }) => r.id === uk.id).overdue).toBe(true)
      const metrics = await ctx.request({ method: 'GET', url: '/metrics' })
      const gauge = /candor_rights_requests_overdue (\d+)/.exec(metrics.body)
      expect(Number(gauge?.[1])).toBeGreaterThanOrEqual(1)
      // Too late to extend: GDPR Art. 12(3) allows it only within the first month (see
      // console-routes.test.ts for extensions in time).
      const late = await ctx.request({
        method: 'POST',
        url: `/v1/rights-requests/${uk.id}/extend`,
        as: 'privacy_officer',
        payload: { reason: 'Complex request spanning several stores' },
      })
      expect(late.statusCode).toBe(409)
      expect(late.json().code).toBe('conflict')
    })

    it('restricts processing until lifted, records objections, and rectifies the vault', async () => {
      const { subjectId } = await seedShopper(ctx, 'restrict-me', { events: 1 })
      expect((await ctx.services.consent.decide(subjectId, PERSONAL)).allowed).toBe(true)
      const restrict = await fileRequest(ctx, 'admin', {
        type: 'restriction',
        subject: 'restrict-me',
      })
      expect(restrict.json().status).toBe('completed')
      expect(await ctx.services.consent.decide(subjectId, PERSONAL)).toMatchObject({
        allowed: false,
        reason: 'restricted',
      })
      expect(await ctx.services.identity.readVault(subjectId)).toBeDefined()
      await fileRequest(ctx, 'admin', { type: 'restriction', subject: 'restrict-me', lift: true })
      expect((await ctx.services.consent.decide(subjectId, PERSONAL)).allowed).toBe(true)

      const objection = await fileRequest(ctx, 'privacy_officer', {
        type: 'objection',
        subject: 'restrict-me',
      })
      expect(objection.json().status).toBe('completed')
      expect(await ctx.services.consent.decide(subjectId, PERSONAL)).toMatchObject({
        allowed: false,
        reason: 'explicit_denial',
      })
      const settings = await ctx.services.consent.getSettings(subjectId, {})
      expect(settings.level).toBe('off')

      const rectify = await fileRequest(ctx, 'privacy_officer', {
        type: 'rectification',
        subject: 'restrict-me',
        rectification: { vault: { email: 'new@example.org' } },
      })
      expect(rectify.json().status).toBe('completed')
      expect(await ctx.services.identity.readVault(subjectId)).toMatchObject({
        email: 'new@example.org',
        name: 'Name of restrict-me',
      })
      const notMine = await fileRequest(ctx, 'privacy_officer', {
        type: 'rectification',
        subject: 'restrict-me',
        rectification: { notMyEvents: ['restrict-me-ev-0'], removeInferences: true },
      })
      expect(notMine.json()).toMatchObject({
        status: 'completed',
        result: { events: { events: 1 } },
      })
      expect((await ctx.services.events.exportSubject(subjectId)).events).toHaveLength(0)
      const raw = JSON.stringify(
        (await sql`select * from rights_requests`.execute(ctx.storage.db)).rows,
      )
      expect(raw).not.toContain('new@example.org')
      const bad = await fileRequest(ctx, 'privacy_officer', {
        type: 'rectification',
        subject: 'restrict-me',
      })
      expect(bad.statusCode).toBe(400)
      expect(bad.json().errors[0].field).toBe('body.rectification')
    })

    it('answers at once that nothing is held on an unknown reference', async () => {
      const response = await fileRequest(ctx, 'privacy_officer', {
        type: 'access',
        subject: 'never-seen',
      })
      expect(response.json()).toMatchObject({ status: 'completed', result: { dataHeld: false } })
      expect(await ctx.services.identity.findSubjectId('never-seen')).toBeUndefined()
    })
  })
}
