import fs from 'node:fs'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DAY_MS } from '../src/lib/clock.js'
import { ensureDemoStaffKey } from '../src/modules/demo/index.js'
import { BROWSER_AVAILABLE, artifactPath, launchBrowser } from './helpers/browser.js'
import { STEP_MS, type ShopServer, newShopper, startShop } from './helpers/shop.js'

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
    await page.getByRole('heading', { name: 'Recommendation quality (last training)' }).waitFor()
    const online = page.getByTestId('online')
    await online.waitFor()
    expect(await online.locator('tbody tr').first().innerText()).toMatch(/^off · home\s+10\s/)
    await page.screenshot({ path: artifactPath('console.png'), fullPage: true })
    await context.close()
  }, 60_000)
})
