import fs from 'node:fs'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DAY_MS } from '../src/lib/clock.js'
import { ensureDemoStaffKey } from '../src/modules/demo/index.js'
import { BROWSER_AVAILABLE, artifactPath, launchBrowser } from './helpers/browser.js'
import { STEP_MS, type ShopServer, attributes, newShopper, startShop } from './helpers/shop.js'
import { insertTrainingRun, tunedReport } from './helpers/training-runs.js'

describe.skipIf(!BROWSER_AVAILABLE)('the staff console in a real browser', () => {
  let browser: Browser
  let shop: ShopServer
  beforeAll(async () => {
    browser = await launchBrowser()
    shop = await startShop()
  }, 120_000)
  afterAll(async () => {
    await browser?.close()
    await shop?.ctx.close()
  })

  it('logs in with the demo staff key and shows the request queue, overdue ones marked, and a chart', async () => {
    const { ctx } = shop
    // One request the shopper filed and never confirmed (still open), then 40 days pass: it is overdue.
    const subjectId = await ctx.services.identity.ensureSubjectId('demo-shopper-2')
    const token = ctx.services.auth.issueShopperToken(subjectId).token
    const open = await ctx.request({
      method: 'POST',
      url: '/v1/rights-requests',
      as: { token },
      payload: { type: 'erasure', subject: 'demo-shopper-2' },
    })
    expect(open.statusCode).toBe(201)
    ctx.clock.advance(40 * DAY_MS)
    const done = await ctx.request({
      method: 'POST',
      url: '/v1/rights-requests',
      as: 'privacy_officer',
      payload: { type: 'access', subject: 'demo-shopper-3' },
    })
    expect(done.statusCode).toBe(201)
    // Answers served to visitors: counted, per level and placement, in the online figures.
    for (let k = 0; k < 10; k++) {
      const answer = await ctx.request({
        method: 'GET',
        url: '/v1/recommendations?limit=3&placement=home',
        as: 'storefront',
      })
      expect(answer.statusCode).toBe(200)
    }

    const key = fs
      .readFileSync(await ensureDemoStaffKey(ctx.services, ctx.database.dir), 'utf8')
      .trim()
    const { page, context } = await newShopper(browser)
    await page.goto(`${shop.base}/console`)
    await page.screenshot({ path: artifactPath('console-login.png') })
    await page.getByLabel('API key').fill('ck_wrong.wrong')
    await page.getByRole('button', { name: 'Log in' }).click()
    await page.getByRole('alert').waitFor()
    await page.getByLabel('API key').fill(key)
    await page.getByRole('button', { name: 'Log in' }).click()

    const queue = page.getByTestId('queue')
    await queue.waitFor({ timeout: STEP_MS })
    expect(await queue.locator('tbody tr').count()).toBe(2)
    expect(await queue.locator('tr.overdue').count()).toBe(1)
    expect(await queue.locator('tr.overdue').innerText()).toContain('Overdue')
    const chart = page.locator('figure.chart svg')
    await chart.waitFor()
    expect(await chart.locator('polyline').count()).toBeGreaterThan(2)
    expect(await page.getByTestId('chain').innerText()).toContain('Chain verified')
    expect(await page.getByTestId('notice-version').innerText()).toMatch(/^[0-9a-f]{16}$/)
    await page.getByRole('heading', { name: 'Recommendation quality' }).waitFor()
    const online = page.getByTestId('online')
    await online.waitFor()
    expect(await online.locator('tbody tr').first().innerText()).toMatch(/^off · home\s+10\s/)
    await page.screenshot({ path: artifactPath('console.png'), fullPage: true })
    await context.close()
  }, 60_000)

  it("shows the latest training run's report and a chart of validation Recall@20 with a point per run", async () => {
    const { ctx } = shop
    const key = fs
      .readFileSync(await ensureDemoStaffKey(ctx.services, ctx.database.dir), 'utf8')
      .trim()
    const runsNow = async () => {
      const r = await ctx.request({
        method: 'GET',
        url: '/v1/recommendations/quality',
        as: 'analyst',
      })
      expect(r.statusCode, r.body).toBe(200)
      type Figures = Record<string, { recall20?: number | null } | undefined>
      const runs = r.json<{ runs: { quality: { figures?: Figures } }[] }>().runs
      // Per level, the runs with a Recall@20 to draw.
      const measured = (level: string) =>
        runs.filter((run) => typeof run.quality.figures?.[level]?.recall20 === 'number').length
      return { runs: runs.length, measured }
    }
    const logIn = async (page: Page) => {
      await page.goto(`${shop.base}/console`)
      await page.getByLabel('API key').fill(key)
      await page.getByRole('button', { name: 'Log in' }).click()
      await page.getByTestId('quality').getByTestId('tuning').waitFor()
    }

    // Two training runs through the API, then one as runs were stored before the tuning report: `{}`.
    for (let k = 0; k < 2; k++) {
      ctx.clock.advance(60_000)
      const r = await ctx.request({ method: 'POST', url: '/v1/admin/train', as: 'admin' })
      expect(r.statusCode, r.body).toBe(200)
    }
    ctx.clock.advance(60_000)
    await insertTrainingRun(ctx, {})
    const { page, context } = await newShopper(browser)
    await logIn(page)
    const section = page.getByTestId('quality')
    expect(await section.getByTestId('tuning').innerText()).toMatch(
      /^Not tuned: this run stored no/,
    )
    expect(await section.getByTestId('validation-figures').count()).toBe(0)
    await section.getByText('No validation figures for this run.').waitFor()
    const chart = section.getByTestId('recall-chart')
    let expected = await runsNow()
    expect(expected.runs).toBeGreaterThanOrEqual(3)
    expect(await chart.locator('g[data-run]').count()).toBe(expected.runs)

    // Two tuned runs, a day apart: the section shows the latest one's report, the chart both.
    ctx.clock.advance(DAY_MS)
    await insertTrainingRun(ctx, tunedReport(ctx.clock.now(), 0.31))
    ctx.clock.advance(DAY_MS)
    const latest = await insertTrainingRun(ctx, tunedReport(ctx.clock.now(), 0.34))
    await page.reload()
    await section.getByTestId('validation-figures').waitFor()
    expect(await section.getByTestId('tuning').innerText()).toBe(
      "Tuned: parameters chosen among 24 sets on the shop's own held-out period.",
    )
    const rows = section.getByTestId('validation-figures').locator('tbody tr')
    const cells = async (i: number) => (await rows.nth(i).innerText()).split(/\s+/).join(' ')
    expect(await rows.count()).toBe(5)
    expect(await cells(0)).toBe('Personal 0.340 0.320 0.131')
    expect(await cells(1)).toBe('Session 0.170 0.160 0.092')
    expect(await cells(2)).toBe('Off 0.104 0.088 0.054')
    expect(await cells(3)).toBe('TopPop (trivial) 0.097 0.087 0.051')
    expect(await cells(4)).toBe('RepeatFreq (trivial) 0.335 0.343 0.051')
    const heldOut = await section.getByTestId('held-out').innerText()
    expect(heldOut).toContain('(14 days, 120 shoppers; candidates trained on the 4,321 events')
    // The parameters are folded away until asked for.
    const params = section.locator('details.params')
    expect(await params.locator('table').isVisible()).toBe(false)
    await params.locator('summary').click()
    await params.getByRole('row', { name: 'personal.otherWeight' }).waitFor()
    expect(await params.getByRole('row', { name: 'personal.otherWeight' }).innerText()).toMatch(
      /personal\.otherWeight\s+0\.5$/,
    )

    // One mark per run, one point per level for each run with figures, in the runs' order.
    expected = await runsNow()
    expect(expected.measured('personal')).toBeGreaterThanOrEqual(2)
    expect(await chart.locator('g[data-run]').count()).toBe(expected.runs)
    for (const level of ['personal', 'session', 'off'])
      expect(await chart.locator(`circle[data-level="${level}"]`).count(), level).toBe(
        expected.measured(level),
      )
    expect((await attributes(chart.locator('g[data-run]'), 'data-run')).at(-1)).toBe(latest.id)
    const heights = (await attributes(chart.locator('circle[data-level="personal"]'), 'cy')).map(
      Number,
    )
    // 0.34 after 0.31: the last point is higher up (a smaller y).
    expect(heights.at(-1)!).toBeLessThan(heights.at(-2)!)
    // The figures are in text too, not only in the picture.
    expect(await chart.getAttribute('aria-labelledby')).toBe('recall-title recall-desc')
    expect(await chart.locator('desc').textContent()).toContain(
      'personal 0.340, session 0.170, off 0.104',
    )
    await section.screenshot({ path: artifactPath('console-quality.png') })
    await context.close()

    // On a phone: nothing wider than the screen, and the chart as wide as its panel.
    const phone = await browser.newContext({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
    })
    phone.setDefaultTimeout(STEP_MS)
    const small = await phone.newPage()
    await logIn(small)
    await small.getByTestId('recall-chart').waitFor()
    expect(
      await small.evaluate<number>('document.documentElement.scrollWidth'),
    ).toBeLessThanOrEqual(390)
    const panel = "document.querySelector('[data-testid=quality]')"
    expect(
      await small.evaluate<boolean>(`${panel}.scrollWidth <= ${panel}.clientWidth`),
      'the section fits without scrolling sideways',
    ).toBe(true)
    const box = await small.getByTestId('recall-chart').boundingBox()
    expect(box!.width).toBeGreaterThan(250)
    expect(box!.x + box!.width).toBeLessThanOrEqual(390)
    await small
      .getByTestId('quality')
      .screenshot({ path: artifactPath('console-quality-phone.png') })
    await phone.close()
  }, 60_000)
})
