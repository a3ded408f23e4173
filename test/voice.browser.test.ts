import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DAY_MS } from '../src/lib/clock.js'
import { BROWSER_AVAILABLE, launchBrowser, openConsolePanel } from './helpers/browser.js'
import { VIEWPORTS, checkState } from './helpers/page-checks.js'
import { STEP_MS, type ShopServer, evaluate, startShop } from './helpers/shop.js'
import { seedShopper } from './helpers/shoppers.js'

const REF = 'voice-panel-shopper'

/**
 * The console's voice panel (issue 21): the trends chart of negative entries per aspect, the items with
 * recent negative entries, the representativeness check in words, and the live feed: negative reviews
 * posted through the API while the panel is open appear in it, with the spike alert, without a reload.
 * The surveys list: status, schedule, answers per option as a bar chart with its table, counted again
 * when an answer arrives. At desktop and phone size (no sideways scroll, axe), with screenshots; no
 * shopper reference or pseudonym anywhere in the panel.
 */
describe.skipIf(!BROWSER_AVAILABLE)('the voice panel in a real browser', () => {
  let browser: Browser
  let shop: ShopServer
  const review = async (item: string, rating: number, text?: string) => {
    const r = await shop.ctx.request({
      method: 'POST',
      url: '/v1/voice',
      as: 'storefront',
      payload: { kind: 'review', subject: REF, item, rating, ...(text ? { text } : {}) },
    })
    expect(r.statusCode, r.body).toBe(201)
    await shop.ctx.services.voice.idle()
  }
  const answer = async (subject: string, choice: string) => {
    const r = await shop.ctx.request({
      method: 'POST',
      url: '/v1/voice',
      as: 'storefront',
      payload: {
        kind: 'survey',
        subject,
        survey: 'suggestion-helpful',
        question: 'helpful',
        answer: choice,
      },
    })
    expect(r.statusCode, r.body).toBe(201)
    await shop.ctx.services.voice.idle()
  }
  beforeAll(async () => {
    browser = await launchBrowser()
    shop = await startShop()
    await seedShopper(shop.ctx, REF, { events: 1 })
    // The demo's survey ("Was this suggestion helpful?"), answered once.
    await answer(REF, 'Yes')
    // Three days of usual life: praise and a complaint a day, so the chart has lines to draw.
    for (let day = 0; day < 3; day++) {
      await review('VOICE-MUG', 5, 'Lovely mug, great quality')
      await review('VOICE-MUG', 2, 'Too expensive for what it is')
      shop.ctx.clock.advance(DAY_MS)
    }
  }, 120_000)
  afterAll(async () => {
    await browser?.close()
    await shop?.ctx.close()
  })

  for (const viewport of VIEWPORTS)
    it(`${viewport.name} ${viewport.width}x${viewport.height}: trends chart, negative items, representativeness, live feed with the alert`, async () => {
      const run = viewport.name
      const item = `BURST-${run.toUpperCase()}`
      const { page, context, panel, errors } = await openConsolePanel(
        browser,
        shop,
        viewport,
        'voice-panel',
      )
      // The trends: Vega's SVG, one line per aspect; the table beside it holds the same sums.
      const chart = panel.locator('[data-chart="voice-trends"]')
      await chart.locator('svg .mark-line path').first().waitFor({ state: 'attached' })
      expect(await chart.locator('svg .mark-line path').count()).toBe(5)
      const trends = (
        await shop.ctx.request({ method: 'GET', url: '/v1/voice/trends', as: 'analyst' })
      ).json<{ days: { aspects: Record<string, { negative: number }> }[] }>().days
      const priceNegatives = trends.reduce((a, d) => a + d.aspects.price!.negative, 0)
      expect(priceNegatives).toBeGreaterThanOrEqual(3)
      expect(
        await panel
          .getByTestId('voice-aspects')
          .locator('tr[data-aspect="price"] td[data-label="Negative"]')
          .getAttribute('data-negative'),
      ).toBe(String(priceNegatives))
      expect(
        await panel.getByTestId('negative-items').locator('tr[data-item="VOICE-MUG"]').count(),
      ).toBe(1)
      // One respondent: too few to judge, said in words.
      expect(await panel.getByTestId('representativeness').innerText()).toContain(
        'Too few respondents to judge',
      )
      const state = panel.getByTestId('feed-state')
      await panel.locator('[data-testid="feed-state"][data-state="live"]').waitFor()
      expect(await state.innerText()).toContain('Live')
      await panel.scrollIntoViewIfNeeded()
      await checkState(page, `voice panel (${run})`, { name: `console-voice-${run}` })

      // A burst of negative reviews through the API while the panel is open: each appears in the feed,
      // then the spike alert, without a reload (the marker set in the page survives).
      await evaluate(page, 'window.__voiceMarker = 1')
      for (let i = 0; i < 7; i++) {
        await review(item, 1, 'Arrived broken, awful quality')
        shop.ctx.clock.advance(8_000)
      }
      const feed = panel.getByTestId('voice-feed')
      const negatives = feed.locator('li[data-kind="entry"][data-negative="true"]')
      await expect.poll(() => negatives.count(), { timeout: STEP_MS }).toBe(7)
      const alert = feed.locator('li[data-kind="alert"]', { hasText: `item ${item}` })
      await alert.waitFor({ timeout: STEP_MS })
      expect(await alert.innerText()).toMatch(/^Alert: negative spike on item BURST-/)
      expect(await negatives.first().innerText()).toContain('Arrived broken, awful quality')
      expect(await evaluate<number>(page, 'window.__voiceMarker')).toBe(1)
      // The negative items and the trends were read again: the burst's item leads the list.
      const row = panel.getByTestId('negative-items').locator(`tr[data-item="${item}"]`)
      await row.waitFor({ timeout: STEP_MS })
      expect(await row.locator('td[data-label="Negative · all"]').innerText()).toBe('7 of 7')

      // The surveys: the demo's, running, its answers per option as bars and in a table; an answer
      // given while the panel is open is counted without a reload.
      const survey = panel
        .getByTestId('surveys-list')
        .locator('li[data-survey="suggestion-helpful"]')
      await survey.waitFor({ timeout: STEP_MS })
      expect(await survey.getByTestId('survey-status').innerText()).toBe('Running')
      const bars = survey.locator(
        '[data-chart="survey-suggestion-helpful-helpful"] svg .mark-rect path',
      )
      await expect.poll(() => bars.count(), { timeout: STEP_MS }).toBe(2)
      const counted = async (option: string) =>
        (await shop.ctx.request({ method: 'GET', url: '/v1/surveys', as: 'analyst' }))
          .json<{ surveys: { id: string; answers: Record<string, Record<string, number>> }[] }>()
          .surveys.find((x) => x.id === 'suggestion-helpful')!.answers.helpful?.[option] ?? 0
      const cell = (option: string) =>
        survey.locator(`tr[data-option="${option}"] td[data-label="Answers"]`)
      expect(await cell('Yes').innerText()).toBe(String(await counted('Yes')))
      await seedShopper(shop.ctx, `${REF}-${run}`, { events: 1 })
      await answer(`${REF}-${run}`, 'No')
      const no = await counted('No')
      expect(no).toBeGreaterThanOrEqual(1)
      await cell('No')
        .filter({ hasText: String(no) })
        .waitFor({ timeout: STEP_MS })
      await survey.scrollIntoViewIfNeeded()
      await checkState(page, `voice panel surveys (${run})`, {
        name: `console-voice-surveys-${run}`,
      })

      // No shopper reference or pseudonym anywhere in the panel (the audit log's panel, for an admin,
      // rightly shows pseudonyms).
      const html = await panel.innerHTML()
      expect(html).not.toContain(REF)
      expect(html).not.toMatch(/sub_[0-9a-z]/)
      await feed.scrollIntoViewIfNeeded()
      await checkState(page, `voice panel live feed (${run})`, {
        name: `console-voice-feed-${run}`,
      })
      expect(errors).toEqual([])
      await context.close()
    }, 120_000)
})
