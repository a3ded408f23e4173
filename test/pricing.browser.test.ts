import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DAY_MS } from '../src/lib/clock.js'
import { BROWSER_AVAILABLE, launchBrowser, openConsolePanel } from './helpers/browser.js'
import { VIEWPORTS, checkState } from './helpers/page-checks.js'
import { STEP_MS, type ShopServer, startShop } from './helpers/shop.js'

/**
 * The console's pricing panel (issue 24): an admin sets a category's rules (each wrong field named beside
 * its input, nothing written), runs the pricing now, reads the pending suggestion's explanation and
 * elasticity interval and the chart of suggested against current price, meets a 409 as a plain message
 * (the suggestion was superseded by a run behind the panel's back), and approves the fresh one; at
 * desktop and phone size (no sideways scroll, axe), with screenshots. Seeded through the real API, with
 * the mug history of `test/pricing.test.ts` (elasticity -2, demand up 60% in the last week).
 */
function history(item: string, now: number) {
  const events: Record<string, unknown>[] = []
  const buy = (ms: number, quantity: number, price: number) =>
    events.push({
      id: `pb-${item}-${events.length}`,
      type: 'purchase',
      subject: 'price-buyer',
      item,
      quantity,
      price,
      timestamp: new Date(ms).toISOString(),
    })
  for (let week = 6; week < 31; week++) {
    const price = [9, 10, 11][week % 3]!
    buy(now - week * 7 * DAY_MS, Math.round(50 * (price / 10) ** -2), price)
  }
  for (let week = 1; week <= 4; week++) buy(now - (week * 7 + 3) * DAY_MS, 50, 10)
  buy(now - 3_600_000, 40, 10)
  buy(now - DAY_MS, 40, 10)
  return events
}

describe.skipIf(!BROWSER_AVAILABLE)('the pricing panel in a real browser', () => {
  let browser: Browser
  let shop: ShopServer
  beforeAll(async () => {
    browser = await launchBrowser()
    shop = await startShop()
    const { ctx } = shop
    const version = (await ctx.request({ method: 'GET', url: '/v1/notice' })).json().version
    const consent = await ctx.request({
      method: 'PUT',
      url: '/v1/subjects/price-buyer/consents/analytics.reporting',
      as: 'storefront',
      payload: {
        decision: 'granted',
        method: 'banner',
        noticeVersion: version,
        jurisdiction: 'UK',
      },
    })
    expect(consent.statusCode, consent.body).toBe(200)
  }, 120_000)
  afterAll(async () => {
    await browser?.close()
    await shop?.ctx.close()
  })

  for (const viewport of VIEWPORTS)
    it(`${viewport.name} ${viewport.width}x${viewport.height}: rules with field errors, run, 409, approve`, async () => {
      const { ctx } = shop
      const run = viewport.name
      const item = `MUG-${run}`
      const category = `Teaware ${run}`
      const items = await ctx.request({
        method: 'PUT',
        url: '/v1/items',
        as: 'storefront',
        payload: {
          items: [
            {
              id: item,
              title: 'Tea mug',
              category: [category],
              price: 10,
              currency: 'GBP',
              stock: 12,
            },
          ],
        },
      })
      expect(items.statusCode, items.body).toBe(200)
      const stored = await ctx.request({
        method: 'POST',
        url: '/v1/events',
        as: 'storefront',
        payload: { events: history(item, ctx.clock.now().getTime()) },
      })
      expect(stored.statusCode, stored.body).toBeLessThan(300)
      const rulesOf = async () =>
        (await ctx.request({ method: 'GET', url: '/v1/pricing/rules', as: 'admin' }))
          .json<{ rules: { category: string; mode: string; floor: number }[] }>()
          .rules.filter((r) => r.category === category)

      const { page, context, panel, errors } = await openConsolePanel(
        browser,
        shop,
        viewport,
        'pricing-panel',
      )

      // Wrong twice: a floor above the list price, a protected period that ends before it starts.
      await panel.getByLabel('Top-level category').fill(category)
      await panel.getByLabel(/^Floor/).fill('1.5')
      await panel.getByRole('button', { name: 'Add a protected period' }).click()
      await panel.getByLabel('Period 1: from').fill('2026-03-05T00:00')
      await panel.getByLabel('Period 1: until').fill('2026-03-04T00:00')
      await panel.getByLabel('Period 1: reason').fill('Spring promise')
      await panel.getByRole('button', { name: 'Save rules' }).click()
      await panel.getByTestId('error-pricing-floor').waitFor()
      expect(await panel.getByLabel(/^Floor/).getAttribute('aria-invalid')).toBe('true')
      expect(await panel.getByTestId('error-pricing-ceiling').count()).toBe(0)
      expect(await rulesOf()).toEqual([])
      await checkState(page, `pricing rules refused (${run})`, {
        name: `console-pricing-errors-${run}`,
      })

      // The floor corrected: the period is checked next (the server checks it once the shape holds).
      await panel.getByLabel(/^Floor/).fill('0.8')
      await panel.getByRole('button', { name: 'Save rules' }).click()
      await panel.getByTestId('error-pricing-period-0-until').waitFor()
      expect(await panel.getByTestId('error-pricing-floor').count()).toBe(0)
      expect(await rulesOf()).toEqual([])

      // Corrected: saved, listed, no error left.
      await panel.getByRole('button', { name: 'Remove period 1' }).click()
      await panel.getByRole('button', { name: 'Save rules' }).click()
      await panel
        .getByTestId('pricing-rule-said')
        .filter({ hasText: `Saved the rules for ${category}` })
        .waitFor()
      expect(await panel.getByTestId('error-pricing-floor').count()).toBe(0)
      expect(await rulesOf()).toMatchObject([{ category, mode: 'manual', floor: 0.8 }])
      await panel.getByTestId('pricing-rules').locator('tr', { hasText: category }).waitFor()

      // Run now: the mug's suggestion with its explanation, elasticity interval and the chart.
      await panel.getByRole('button', { name: 'Run now' }).click()
      await panel.getByTestId('pricing-run-said').waitFor({ timeout: STEP_MS })
      const row = panel.getByTestId('pricing-suggestions').locator(`tr[data-item="${item}"]`)
      await row.waitFor({ timeout: STEP_MS })
      const stale = await row.getAttribute('data-id')
      const text = await row.innerText()
      expect(text).toContain('demand up 60% in 7 days')
      expect(text).toContain('12 left in stock')
      expect(text).toMatch(/95% interval -\d\.\d\d to -\d\.\d\d/)
      expect(text).toContain('10.50 GBP')
      const chart = panel.locator('figure[data-chart="pricing-suggested-vs-current"] svg')
      await chart.waitFor({ timeout: STEP_MS })
      expect(await chart.locator('path').count()).toBeGreaterThan(0)

      // Superseded behind the panel's back: Approve on the stale row is a 409, said plainly.
      const again = await ctx.request({ method: 'POST', url: '/v1/pricing/runs', as: 'admin' })
      expect(again.statusCode, again.body).toBe(200)
      await row.getByRole('button', { name: `Approve ${item}` }).click()
      const said = panel.getByTestId('pricing-decision-said')
      await said.waitFor()
      expect(await said.getAttribute('role')).toBe('alert')
      expect(await said.innerText()).toContain('superseded, not pending')
      expect(await said.innerText()).toContain('Nothing was changed')
      const listPrice = await ctx.request({
        method: 'GET',
        url: `/v1/prices?item=${item}`,
        as: 'storefront',
      })
      expect(listPrice.json()).toMatchObject({ price: 10, source: 'list' })
      await checkState(page, `pricing 409 (${run})`, { name: `console-pricing-409-${run}` })

      // The fresh suggestion (the list reloaded) approved: the price is set.
      const fresh = panel.locator(`tr[data-item="${item}"]:not([data-id="${stale}"])`)
      await fresh.waitFor({ timeout: STEP_MS })
      await fresh.getByRole('button', { name: `Approve ${item}` }).click()
      await said.filter({ hasText: `Approved: ${item} now costs 10.50 GBP` }).waitFor()
      const price = await ctx.request({
        method: 'GET',
        url: `/v1/prices?item=${item}`,
        as: 'storefront',
      })
      expect(price.json()).toMatchObject({ price: 10.5, source: 'approved' })
      await row.waitFor({ state: 'detached' })
      await checkState(page, `pricing approved (${run})`, { name: `console-pricing-${run}` })
      expect(errors).toEqual([])
      await context.close()
    }, 120_000)
})
