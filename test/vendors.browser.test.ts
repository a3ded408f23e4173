import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createManualClock } from '../src/lib/clock.js'
import { BROWSER_AVAILABLE, launchBrowser, openConsolePanel } from './helpers/browser.js'
import { VIEWPORTS, checkState } from './helpers/page-checks.js'
import { STEP_MS } from './helpers/shop.js'
import { type TestContext, createTestContext } from './helpers/test-context.js'
import { type Receiver, startReceiver, vendorEnv } from './helpers/vendor-receiver.js'

const AD = 'marketing.advertising.third_party'
const PERSONAL = 'personalize.recommendations'

/**
 * The console's vendors panel (issue 23): deliveries per vendor as a Vega-Lite chart and a table, the
 * ad network's dead-lettered delivery replayed from the panel, and its overdue deletion request
 * highlighted; seeded through the real API against a node:http receiver that fails, at desktop and
 * phone size (390x844: no sideways scroll, axe), with screenshots.
 */
describe.skipIf(!BROWSER_AVAILABLE)('the vendors panel in a real browser', () => {
  let browser: Browser
  let ctx: TestContext
  let receiver: Receiver
  let base: string

  beforeAll(async () => {
    browser = await launchBrowser()
    const clock = createManualClock(new Date())
    receiver = await startReceiver(() => clock.now().getTime())
    ctx = await createTestContext('sqlite', { env: vendorEnv(receiver.url), clock })
    await ctx.app.listen({ port: 0, host: '127.0.0.1' })
    const address = ctx.app.server.address()
    if (address === null || typeof address === 'string') throw new Error('no address')
    base = `http://127.0.0.1:${address.port}`
  }, 120_000)
  afterAll(async () => {
    await browser?.close()
    await ctx?.close()
    await receiver?.close()
  })

  async function call(
    method: 'GET' | 'POST' | 'PUT',
    url: string,
    payload?: Record<string, unknown>,
  ) {
    const r = await ctx.request({
      method,
      url,
      as: method === 'POST' && url.includes('events') ? 'storefront' : 'privacy_officer',
      ...(payload === undefined ? {} : { payload }),
    })
    expect(r.statusCode, r.body).toBeLessThan(300)
    return r.json<Record<string, unknown>>()
  }

  async function grant(ref: string, purpose: string) {
    const { version } = await call('GET', '/v1/notice')
    const r = await ctx.request({
      method: 'PUT',
      url: `/v1/subjects/${ref}/consents/${purpose}`,
      as: 'storefront',
      payload: {
        decision: 'granted',
        method: 'banner',
        noticeVersion: version,
        jurisdiction: 'UK',
      },
    })
    expect(r.statusCode, r.body).toBe(200)
  }

  async function view(id: string, subject: string) {
    const event = {
      id,
      type: 'view',
      subject,
      item: '85123A',
      placement: 'home',
      timestamp: new Date(ctx.clock.now().getTime() - 1000).toISOString(),
    }
    await call('POST', '/v1/events', { events: [event] })
  }

  /** Runs the delivery job until nothing is due, moving the clock past every backoff. */
  async function drain(rounds: number) {
    for (let i = 0; i < rounds; i++) {
      await ctx.services.vendors.deliverAll()
      ctx.clock.advance(3_700_000)
    }
  }

  const adNetwork = async () =>
    ((await call('GET', '/v1/vendors')).vendors as Record<string, number | string>[]).find(
      (v) => v.vendor === 'ad-network',
    )!

  /**
   * Through the API: a shopper whose view reached both vendors is erased while the ad network's deletion
   * URL fails (overdue after 72 hours), a third's view reaches it, and another's fails every try.
   */
  async function seed(run: string) {
    const before = (await adNetwork()).deadLettered as number
    receiver.answerWith(() => 204)
    await grant(`both-${run}`, AD)
    await grant(`both-${run}`, PERSONAL)
    await view(`v1-${run}`, `both-${run}`)
    await grant(`kept-${run}`, AD)
    await grant(`kept-${run}`, PERSONAL)
    await view(`v0-${run}`, `kept-${run}`)
    await drain(1)
    receiver.answerWith((path) => (path.startsWith('/ad-network') ? 503 : 204))
    await call('POST', '/v1/rights-requests', {
      type: 'erasure',
      subject: `both-${run}`,
      jurisdiction: 'UK',
    })
    await grant(`dead-${run}`, AD)
    await view(`v2-${run}`, `dead-${run}`)
    await drain(6)
    ctx.clock.advance(73 * 3_600_000)
    const status = await adNetwork()
    expect(status.deadLettered).toBe(before + 1)
    expect(status.deletionsOverdue).toBeGreaterThanOrEqual(1)
    return status.deadLettered as number
  }

  for (const viewport of VIEWPORTS)
    it(`${viewport.name} ${viewport.width}x${viewport.height}: chart, dead letters replayed, overdue deletions`, async () => {
      const run = viewport.name
      const deadLettered = await seed(run)
      const { page, context, panel, errors } = await openConsolePanel(
        browser,
        { ctx, base },
        viewport,
        'vendors-panel',
      )

      // The chart is Vega's SVG: one bar per vendor and figure, the ad network's dead letter among them.
      const chart = panel.locator('[data-chart="vendor-deliveries"]')
      await chart.locator('svg .mark-rect path').first().waitFor({ state: 'attached' })
      const vendors = (await call('GET', '/v1/vendors')).vendors as unknown[]
      expect(await chart.locator('svg .mark-rect path').count()).toBe(vendors.length * 4)
      const ad = panel.getByTestId('vendors-table').locator('tr[data-vendor="ad-network"]')
      expect(await ad.locator('[data-measure="deadLettered"]').innerText()).toBe(
        String(deadLettered),
      )
      expect(Number(await ad.locator('[data-measure="sent"]').innerText())).toBeGreaterThan(0)
      expect(await ad.getAttribute('class')).toContain('overdue')
      expect(await ad.locator('[data-measure="deletionsPending"] .badge').innerText()).toMatch(
        /overdue/,
      )
      const overdue = panel.getByTestId('overdue-deletions').locator('tr.overdue')
      expect(await overdue.count()).toBeGreaterThanOrEqual(1)
      expect(await overdue.first().innerText()).toContain('ad-network')
      expect(await overdue.first().innerText()).toContain('Overdue')
      // Shows no shopper: no reference and no pseudonym anywhere on the page.
      const text = await page.locator('body').innerText()
      expect(text).not.toContain(`both-${run}`)
      expect(text).not.toMatch(/vp_[0-9a-f]{32}/)

      await chart.scrollIntoViewIfNeeded()
      await checkState(page, `vendors panel (${run})`, { name: `console-vendors-${run}` })

      // The dead letter, replayed from the panel, is queued again and reaches the vendor.
      await ad.getByRole('button', { name: /Show/ }).click()
      const dead = panel.getByTestId('dead-letters')
      const row = dead.locator('tr[data-delivery]')
      await row.first().waitFor({ timeout: STEP_MS })
      expect(await row.count()).toBe(deadLettered)
      await checkState(page, `dead letters (${run})`, { name: `console-vendors-dead-${run}` })
      const id = (await row.first().getAttribute('data-delivery'))!
      expect(await row.first().innerText()).toContain('HTTP 503')
      receiver.answerWith((path) => (path === '/ad-network/deletions' ? 503 : 204))
      await row
        .first()
        .getByRole('button', { name: /Replay/ })
        .click()
      await panel
        .getByTestId('replay-said')
        .filter({ hasText: `Delivery ${id} queued again` })
        .waitFor()
      await dead.locator(`tr[data-delivery="${id}"]`).waitFor({ state: 'detached' })
      const left = String(deadLettered - 1)
      await ad
        .locator('[data-measure="deadLettered"]', { hasText: new RegExp(`^${left}$`) })
        .waitFor()
      expect((await adNetwork()).deadLettered).toBe(deadLettered - 1)
      await drain(1)
      expect(receiver.accepted('ad-network').has(id)).toBe(true)
      await checkState(page, `dead letter replayed (${run})`, {
        name: `console-vendors-replayed-${run}`,
      })
      expect(errors).toEqual([])
      await context.close()
    }, 180_000)
})
