import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DAY_MS } from '../src/lib/clock.js'
import { createOutboxNotifier } from '../src/modules/rights/index.js'
import { SHOWING_MS } from '../src/modules/voice/voice.surveys.service.js'
import { dumpDatabase } from './helpers/raw-scan.js'
import { PERSONAL, seedShopper } from './helpers/shoppers.js'
import { DIALECTS, type TestContext, createTestContext } from './helpers/test-context.js'

/**
 * Issue 21, part 3, surveys: staff define them (every wrong field named), a storefront is told the one
 * to show a shopper now under every consent state, the sample and the cap, the voice intake checks each
 * answer against its question, and the answers and the record of showing are in export and erasure.
 */
const HELPFUL = {
  id: 'helpful',
  title: 'Help us improve',
  questions: [
    { id: 'q1', text: 'Was this suggestion helpful?', kind: 'choice', options: ['Yes', 'No'] },
    { id: 'q2', text: 'How well do we know your taste?', kind: 'rating' },
  ],
  contexts: ['recommendations'],
  purpose: PERSONAL,
  capDays: 7,
}
const CHECKOUT = {
  id: 'checkout-words',
  title: 'Anything to add?',
  questions: [{ id: 'words', text: 'What nearly stopped you buying?', kind: 'text' }],
  contexts: ['checkout'],
  purpose: PERSONAL,
  capDays: 0,
}
const NOBODY = { ...HELPFUL, id: 'nobody', contexts: ['product'], sampleRate: 0 }
const LATER = {
  ...HELPFUL,
  id: 'later',
  contexts: ['cart'],
  schedule: { from: '2026-06-01T00:00:00Z' },
}

for (const dialect of DIALECTS) {
  describe(`surveys on ${dialect}`, () => {
    let ctx: TestContext
    beforeAll(async () => {
      ctx = await createTestContext(dialect)
      for (const survey of [HELPFUL, CHECKOUT, NOBODY, LATER]) {
        const r = await ctx.request({
          method: 'PUT',
          url: '/v1/surveys',
          as: 'admin',
          payload: survey,
        })
        expect(r.statusCode, r.body).toBe(200)
      }
    })
    afterAll(async () => {
      await ctx?.close()
    })

    const active = (query: string, as: 'storefront' | { token: string } = 'storefront') =>
      ctx.request({ method: 'GET', url: `/v1/surveys/active?${query}`, as })
    const answer = (payload: object, as: 'storefront' | { token: string } = 'storefront') =>
      ctx.request({ method: 'POST', url: '/v1/voice', as, payload: { kind: 'survey', ...payload } })

    it('defines a survey with its defaults, audited, and lists it for staff only', async () => {
      const list = await ctx.request({ method: 'GET', url: '/v1/surveys', as: 'admin' })
      expect(list.statusCode).toBe(200)
      const helpful = list.json().surveys.find((s: { id: string }) => s.id === 'helpful')
      expect(helpful).toMatchObject({
        sampleRate: 1,
        capDays: 7,
        active: true,
        answers: { q1: { Yes: 0, No: 0 }, q2: { 1: 0, 2: 0, 3: 0, 4: 0, 5: 0 } },
      })
      const audit = await ctx.services.audit.list({ action: 'surveys.defined', limit: 50 })
      expect(audit.map((e) => e.details.id)).toContain('helpful')
      const byStorefront = await ctx.request({
        method: 'GET',
        url: '/v1/surveys',
        as: 'storefront',
      })
      expect(byStorefront.statusCode).toBe(403)
      const put = await ctx.request({
        method: 'PUT',
        url: '/v1/surveys',
        as: 'storefront',
        payload: HELPFUL,
      })
      expect(put.statusCode).toBe(403)
    })

    it('refuses a wrong definition naming each field, writing nothing', async () => {
      const cases: [object, string][] = [
        [{ ...HELPFUL, id: 'x1', purpose: 'no.such.purpose' }, 'body.purpose'],
        [{ ...HELPFUL, id: 'x2', purpose: 'analytics.reporting' }, 'body.purpose'],
        [
          {
            ...HELPFUL,
            id: 'x3',
            schedule: { from: '2026-04-01T00:00:00Z', until: '2026-03-01T00:00:00Z' },
          },
          'body.schedule.until',
        ],
        [
          { ...HELPFUL, id: 'x4', questions: [HELPFUL.questions[0], HELPFUL.questions[0]] },
          'body.questions.1.id',
        ],
        [
          {
            ...HELPFUL,
            id: 'x5',
            questions: [{ id: 'q', text: 'Pick', kind: 'choice', options: ['A', 'A'] }],
          },
          'body.questions.0.options.1',
        ],
        [
          {
            ...HELPFUL,
            id: 'x6',
            questions: [{ id: 'q', text: 'Pick', kind: 'choice', options: ['A'] }],
          },
          'body.questions.0.options',
        ],
        [{ ...HELPFUL, id: 'x7', questions: [] }, 'body.questions'],
        [{ ...HELPFUL, id: 'x8', contexts: ['homepage'] }, 'body.contexts.0'],
        [{ ...HELPFUL, id: 'x9', sampleRate: 1.5 }, 'body.sampleRate'],
        [{ ...HELPFUL, id: 'Bad Id' }, 'body.id'],
      ]
      for (const [payload, field] of cases) {
        const r = await ctx.request({ method: 'PUT', url: '/v1/surveys', as: 'admin', payload })
        expect(r.statusCode, r.body).toBe(400)
        expect(r.json().errors.map((e: { field: string }) => e.field)).toContain(field)
      }
      const list = await ctx.request({ method: 'GET', url: '/v1/surveys', as: 'admin' })
      expect(
        list
          .json()
          .surveys.map((s: { id: string }) => s.id)
          .sort(),
      ).toEqual(['checkout-words', 'helpful', 'later', 'nobody'])
    })

    it('shows the survey only under its purpose as the shopper allowed it, then not again within the cap', async () => {
      // Never seen and no consent on record: nothing, and nobody is created.
      const unknown = await active('context=recommendations&subject=survey-stranger')
      expect(unknown.json()).toEqual({ survey: null, reason: 'not_allowed' })
      expect(await ctx.services.identity.findSubjectId('survey-stranger')).toBeUndefined()

      const { version } = await seedShopper(ctx, 'survey-1', { events: 1 })
      const shown = await active('context=recommendations&subject=survey-1')
      expect(shown.statusCode, shown.body).toBe(200)
      expect(shown.json()).toMatchObject({
        reason: 'shown',
        survey: { id: 'helpful', purpose: PERSONAL },
      })
      expect(shown.json().survey.questions.map((q: { id: string }) => q.id)).toEqual(['q1', 'q2'])
      // Within the same showing (a reload, another page): shown again; after it, capped for 7 days.
      ctx.clock.advance(SHOWING_MS - 1000)
      expect((await active('context=recommendations&subject=survey-1')).json().reason).toBe('shown')
      ctx.clock.advance(2000)
      expect((await active('context=recommendations&subject=survey-1')).json()).toEqual({
        survey: null,
        reason: 'capped',
      })
      ctx.clock.advance(7 * DAY_MS + 1000)
      expect((await active('context=recommendations&subject=survey-1')).json().reason).toBe('shown')

      // Withdrawn: nothing.
      const withdrawn = await ctx.request({
        method: 'PUT',
        url: `/v1/subjects/survey-1/consents/${PERSONAL}`,
        as: 'storefront',
        payload: { decision: 'denied', method: 'privacy_center', noticeVersion: version },
      })
      expect(withdrawn.statusCode).toBe(200)
      ctx.clock.advance(8 * DAY_MS)
      expect((await active('context=recommendations&subject=survey-1')).json()).toEqual({
        survey: null,
        reason: 'not_allowed',
      })
      // A visit that allowed nothing: nothing.
      expect(
        (await active('context=recommendations&session=visit-survey-0001')).json().reason,
      ).toBe('not_allowed')
    })

    it('answers by context, sample and schedule, and keeps a cap of 0 open until answered', async () => {
      await seedShopper(ctx, 'survey-2', { events: 1 })
      expect((await active('context=product&subject=survey-2')).json().reason).toBe('not_sampled')
      expect((await active('context=cart&subject=survey-2')).json().reason).toBe('none_running')
      expect((await active('context=account&subject=survey-2')).json().reason).toBe('none_running')
      expect((await active('context=checkout&subject=survey-2')).json().reason).toBe('shown')
      expect((await active('context=checkout&subject=survey-2')).json().reason).toBe('shown')
      const r = await answer({
        subject: 'survey-2',
        survey: 'checkout-words',
        question: 'words',
        text: 'The delivery price was a surprise',
      })
      expect(r.statusCode, r.body).toBe(201)
      expect((await active('context=checkout&subject=survey-2')).json()).toEqual({
        survey: null,
        reason: 'answered',
      })
      const bad = await active('context=somewhere&subject=survey-2')
      expect(bad.statusCode).toBe(400)
      expect(bad.json().errors[0].field).toBe('querystring.context')
      const both = await active('context=checkout')
      expect(both.statusCode).toBe(400)
    })

    it('lets a shopper token ask only for itself', async () => {
      const { subjectId } = await seedShopper(ctx, 'survey-3', { events: 1 })
      const { token } = ctx.services.auth.issueShopperToken(subjectId)
      expect((await active('context=checkout&subject=survey-3', { token })).statusCode).toBe(200)
      expect((await active('context=checkout&subject=survey-2', { token })).statusCode).toBe(403)
    })

    it('takes answers that fit their question, shows only the rest, counts them, refuses the others naming the field', async () => {
      await seedShopper(ctx, 'survey-4', { events: 1 })
      const base = { subject: 'survey-4', survey: 'helpful' }
      const refusals: [object, number, string][] = [
        [{ ...base, survey: 'no-such', question: 'q1', answer: 'Yes' }, 400, 'body.survey'],
        [{ ...base, survey: 'later', question: 'q1', answer: 'Yes' }, 400, 'body.survey'],
        [{ ...base, question: 'q9', answer: 'Yes' }, 400, 'body.question'],
        [{ ...base, question: 'q1', answer: 'Maybe' }, 400, 'body.answer'],
        [{ ...base, question: 'q1', rating: 4 }, 400, 'body.answer'],
        [{ ...base, question: 'q1', answer: 'Yes', rating: 4 }, 400, 'body.rating'],
        [{ ...base, question: 'q2', answer: 'Yes' }, 400, 'body.rating'],
        [{ ...base, question: 'q2', rating: 9 }, 400, 'body.rating'],
        [
          { ...base, question: 'q1', answer: 'Yes', purpose: 'analytics.reporting' },
          400,
          'body.purpose',
        ],
        [{ ...base, question: 'q1', answer: 'Yes', subject: 'survey-stranger' }, 403, ''],
      ]
      for (const [payload, status, field] of refusals) {
        const r = await answer(payload)
        expect(r.statusCode, `${JSON.stringify(payload)}: ${r.body}`).toBe(status)
        if (field !== '')
          expect(r.json().errors.map((e: { field: string }) => e.field)).toContain(field)
      }
      const subjectId = (await ctx.services.identity.findSubjectId('survey-4'))!
      expect((await ctx.services.voice.exportSubject(subjectId)).entries).toEqual([])

      expect((await answer({ ...base, question: 'q1', answer: 'No' })).statusCode).toBe(201)
      const again = await answer({ ...base, question: 'q1', answer: 'Yes' })
      expect(again.statusCode).toBe(409)
      expect(again.json().errors[0].field).toBe('body.question')
      const rest = await active('context=recommendations&subject=survey-4')
      expect(rest.json().survey.questions.map((q: { id: string }) => q.id)).toEqual(['q2'])
      expect((await answer({ ...base, question: 'q2', rating: 4 })).statusCode).toBe(201)

      const list = await ctx.request({ method: 'GET', url: '/v1/surveys', as: 'analyst' })
      const helpful = list.json().surveys.find((s: { id: string }) => s.id === 'helpful')
      expect(helpful.answers.q1).toEqual({ Yes: 0, No: 1 })
      expect(helpful.answers.q2).toEqual({ 1: 0, 2: 0, 3: 0, 4: 1, 5: 0 })
      expect(list.body).not.toContain(subjectId)
    })

    it('puts the answers and the record of showing in the export, and erases both', async () => {
      const { subjectId } = await seedShopper(ctx, 'survey-5', { events: 1 })
      expect((await active('context=recommendations&subject=survey-5')).json().reason).toBe('shown')
      const text = 'The delivery price was a surprise to me'
      expect(
        (await answer({ subject: 'survey-5', survey: 'checkout-words', question: 'words', text }))
          .statusCode,
      ).toBe(201)
      const { token } = ctx.services.auth.issueShopperToken(subjectId)
      const filed = await ctx.request({
        method: 'POST',
        url: '/v1/rights-requests',
        as: { token },
        payload: { type: 'portability', subject: 'survey-5' },
      })
      expect(filed.statusCode, filed.body).toBe(201)
      const id = filed.json().id as string
      const code = createOutboxNotifier(path.join(ctx.config.dataDir, 'outbox')).read(id)[0]!.code
      const verified = await ctx.request({
        method: 'POST',
        url: `/v1/rights-requests/${id}/verify`,
        as: { token },
        payload: { code },
      })
      expect(verified.json().status).toBe('completed')
      const exported = (
        await ctx.request({ method: 'GET', url: `/v1/rights-requests/${id}/export`, as: { token } })
      ).json()
      expect(exported.voice.entries).toHaveLength(1)
      expect(exported.voice.entries[0]).toMatchObject({
        kind: 'survey',
        survey: 'checkout-words',
        question: 'words',
        text,
      })
      expect(exported.voice.surveysShown).toEqual([
        expect.objectContaining({ survey: 'helpful', shownAt: ctx.clock.now().toISOString() }),
      ])
      const erased = await ctx.request({
        method: 'POST',
        url: '/v1/rights-requests',
        as: 'privacy_officer',
        payload: { type: 'erasure', subject: 'survey-5', jurisdiction: 'UK' },
      })
      expect(erased.statusCode, erased.body).toBe(201)
      expect(erased.json().result.voice).toEqual({ voiceEntries: 1, surveyImpressions: 1 })
      expect(await dumpDatabase(ctx)).not.toContain('surprise to me')
      expect(await ctx.services.voice.exportSubject(subjectId)).toEqual({
        entries: [],
        surveysShown: [],
      })
    })

    it('lets retention sweep the record of showing once the cap window has passed', async () => {
      const { subjectId } = await seedShopper(ctx, 'survey-6', { events: 1 })
      expect((await active('context=recommendations&subject=survey-6')).json().reason).toBe('shown')
      expect((await ctx.services.voice.exportSubject(subjectId)).surveysShown).toHaveLength(1)
      ctx.clock.advance(7 * DAY_MS + 1000)
      const swept = await ctx.services.voice.deleteExpired(ctx.storage.db, ctx.clock.now())
      expect(swept.surveyImpressions).toBeGreaterThanOrEqual(1)
      expect((await ctx.services.voice.exportSubject(subjectId)).surveysShown).toEqual([])
    })
  })
}
