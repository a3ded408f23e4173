import type { Browser, Locator, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { BudgetState } from '../src/modules/insights/insights.js'
import {
  BROWSER_AVAILABLE,
  artifactPath,
  launchBrowser,
  openConsolePanel,
} from './helpers/browser.js'
import { DESKTOP, PHONE, VIEWPORTS, checkState, pageErrors } from './helpers/page-checks.js'
import { type ShopServer, attributes, newShopper, startShop, visitorRef } from './helpers/shop.js'

/** The Insights panel and the privacy center's Statistics part, on the demo shop's own data. */
describe.skipIf(!BROWSER_AVAILABLE)('insights in a real browser', () => {
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

  /** A new analyst key of its own, so no other test spends its budget. */
  async function analystKey(name: string): Promise<{ key: string; keyId: string }> {
    const { key, info } = await shop.ctx.services.auth.createApiKey('analyst', name, {
      kind: 'cli',
      command: 'test',
    })
    return { key, keyId: info.id }
  }
  async function budgetOf(key: string): Promise<BudgetState> {
    const r = await shop.ctx.request({
      method: 'GET',
      url: '/v1/insights/budget',
      as: { token: key },
    })
    expect(r.statusCode, r.body).toBe(200)
    return r.json<BudgetState>()
  }
  const numberOf = async (at: Locator, name: string) => Number(await at.getAttribute(name))
  const meter = (page: Page, keyId: string) =>
    page.getByTestId('insights-budgets').locator(`li[data-key="${keyId}"]`)

  for (const viewport of VIEWPORTS)
    it(`${viewport.name} ${viewport.width}x${viewport.height}: an analyst dry-runs and runs a query, sees bars with 95% whiskers and every figure in a table, and the budget meter moves`, async () => {
      const analyst = await analystKey(`insights browser ${viewport.name}`)
      const before = await budgetOf(analyst.key)
      expect(before.spentRho).toBe(0)
      const { page, context, panel, errors } = await openConsolePanel(
        browser,
        shop,
        viewport,
        'insights-panel',
        { key: analyst.key },
      )
      await meter(page, analyst.keyId).waitFor()
      expect(Number(await meter(page, analyst.keyId).getAttribute('data-remaining-rho'))).toBe(
        before.remainingRho,
      )
      // Purchases per category over the last 90 days at epsilon 1 (the form's defaults); Run waits for a
      // dry run of the same query.
      expect(await panel.getByLabel('Count').inputValue()).toBe('events')
      expect(await panel.getByLabel('Group by').inputValue()).toBe('category')
      const run = panel.getByRole('button', { name: 'Run', exact: true })
      expect(await run.isDisabled()).toBe(true)
      await panel.getByLabel('Epsilon (ε)').fill('0.5')
      await panel.getByRole('button', { name: 'Dry run (free)' }).click()
      const cost = panel.getByTestId('insights-cost')
      await cost.waitFor()
      const rho = Number(await cost.getAttribute('data-rho'))
      expect(rho).toBeCloseTo(0.5 ** 2 / 2, 9)
      expect(await cost.innerText()).toContain('This query spends ρ 0.125')
      expect(await panel.getByTestId('insights-left').innerText()).toBe(
        `ρ ${before.rho} of ${before.rho}`,
      )
      // The dry run spent nothing.
      expect((await budgetOf(analyst.key)).spentRho).toBe(0)
      await checkState(page, `${viewport.name} insights dry run`)

      // Changing the query asks for a new dry run; going back to it does not.
      await panel.getByLabel('Epsilon (ε)').fill('0.6')
      expect(await run.isDisabled()).toBe(true)
      await panel.getByLabel('Epsilon (ε)').fill('0.5')
      expect(await run.isDisabled()).toBe(false)
      await run.click()
      const chart = panel.getByTestId('insights-chart')
      await chart.waitFor()

      // One bar per released cell, each with a whisker from its interval's low to its high end, and the
      // same figures in the table.
      const bars = chart.locator('g.cell')
      const count = await bars.count()
      expect(count).toBeGreaterThan(0)
      const rows = panel.getByTestId('insights-table').locator('tbody tr')
      expect(await rows.count()).toBeGreaterThanOrEqual(count)
      for (let i = 0; i < Math.min(count, 5); i++) {
        const bar = bars.nth(i)
        const value = await numberOf(bar, 'data-value')
        const low = await numberOf(bar, 'data-low')
        const high = await numberOf(bar, 'data-high')
        expect(low).toBeLessThan(value)
        expect(high).toBeGreaterThan(value)
        expect(await bar.locator('rect.bar').count()).toBe(1)
        const whisker = bar.locator('g.whisker line')
        expect(await whisker.count()).toBe(3)
        const x1 = await numberOf(whisker.first(), 'x1')
        const x2 = await numberOf(whisker.first(), 'x2')
        expect(x2).toBeGreaterThan(x1)
        const group = (await bar.getAttribute('data-group'))!
        const row = panel
          .getByTestId('insights-table')
          .locator(`tbody tr[data-group=${JSON.stringify(group)}]`)
        expect(await row.count()).toBe(1)
        expect(await row.locator('td[data-label="95% interval"]').innerText()).toMatch(/ to /)
      }
      expect(await chart.getAttribute('aria-labelledby')).toBe('insights-title insights-desc')
      expect(await chart.locator('title#insights-title').textContent()).toContain(
        'Number of events by category',
      )
      // The categories are public: every one of the demo shop's categories is in the table (with 0 plus
      // noise when empty), and the groups are those and `unknown` (items not in the catalog).
      const groups = await attributes(bars, 'data-group')
      const tableGroups = new Set(await attributes(rows, 'data-group'))
      const catalog = (await shop.ctx.request({ method: 'GET', url: '/demo/catalog' })).json<{
        categories: { title: string }[]
      }>()
      const titles = new Set(catalog.categories.map((c) => c.title))
      expect(groups.filter((g) => !titles.has(g) && g !== 'unknown')).toEqual([])
      expect([...titles].filter((t) => !tableGroups.has(t))).toEqual([])

      // The budget moved by the query's cost, on the server and on the meter.
      const after = await budgetOf(analyst.key)
      expect(after.spentRho).toBeCloseTo(rho, 9)
      expect(after.queries).toBe(1)
      await expect
        .poll(async () => Number(await meter(page, analyst.keyId).getAttribute('data-queries')))
        .toBe(1)
      expect(
        Number(await meter(page, analyst.keyId).getAttribute('data-remaining-rho')),
      ).toBeCloseTo(after.remainingRho, 9)
      await checkState(page, `${viewport.name} insights answer`, {
        name: `console-insights-${viewport.name}`,
        fullPage: true,
      })
      if (viewport === PHONE) {
        const box = await chart.boundingBox()
        expect(box!.width).toBeGreaterThan(250)
        expect(box!.x + box!.width).toBeLessThanOrEqual(viewport.width)
        expect(
          await page.evaluate<boolean>(
            "(() => { const p = document.querySelector('[data-testid=insights-panel]'); return p.scrollWidth <= p.clientWidth })()",
          ),
        ).toBe(true)
      }

      if (viewport !== PHONE) {
        // A bounded sum: the value field appears, and the answer is grouped by two dimensions.
        await panel.getByLabel('Count').selectOption('sum')
        await panel.getByLabel('Of', { exact: true }).selectOption('price')
        await panel.getByLabel('Then by').first().selectOption('week')
        await panel.getByRole('button', { name: 'Dry run (free)' }).click()
        await cost.waitFor()
        await run.click()
        await expect
          .poll(async () => chart.locator('title#insights-title').textContent())
          .toBe('Sum of a value: price by category, then week, with 95% intervals')
        const headers = await panel
          .getByTestId('insights-table')
          .locator('thead th')
          .allInnerTexts()
        expect(headers.slice(0, 2)).toEqual(['Category', 'Week'])
        expect((await budgetOf(analyst.key)).queries).toBe(2)
        await panel.screenshot({ path: artifactPath('console-insights-sum.png') })
      }

      // A refused field: its reason under it, marked invalid.
      await panel.getByLabel('Epsilon (ε)').fill('7')
      await panel.getByRole('button', { name: 'Dry run (free)' }).click()
      await panel.getByTestId('insights-invalid').waitFor()
      expect(await panel.getByLabel('Epsilon (ε)').getAttribute('aria-invalid')).toBe('true')
      expect(await panel.locator('#ins-epsilon-error').innerText()).not.toBe('')
      expect(errors).toEqual([])
      await context.close()
    }, 120_000)

  it('an exhausted budget: the cost warns before spending, Run is refused with when it renews, and the admin sees every key', async () => {
    const analyst = await analystKey('insights browser exhausted')
    // Spend the whole budget through the API: rho = eps^2/2 per query.
    const full = await budgetOf(analyst.key)
    const epsilon = Math.min(5, Math.sqrt(2 * full.rho))
    for (let spent = 0; spent + epsilon ** 2 / 2 <= full.rho + 1e-9; spent += epsilon ** 2 / 2) {
      const r = await shop.ctx.request({
        method: 'POST',
        url: '/v1/insights/queries',
        as: { token: analyst.key },
        payload: { measure: 'events', groupBy: ['category'], epsilon },
      })
      expect(r.statusCode, r.body).toBe(200)
    }
    const spent = await budgetOf(analyst.key)
    expect(spent.remainingRho).toBeLessThan(0.5)
    expect(spent.renewsAt).not.toBeNull()

    const { page, context, panel, errors } = await openConsolePanel(
      browser,
      shop,
      DESKTOP,
      'insights-panel',
      { key: analyst.key },
    )
    await panel.getByLabel('Epsilon (ε)').fill('1')
    await panel.getByRole('button', { name: 'Dry run (free)' }).click()
    await panel.getByTestId('insights-cost').getByText('That is more than is left').waitFor()
    await panel.getByRole('button', { name: 'Run', exact: true }).click()
    const refused = panel.getByTestId('insights-exhausted')
    await refused.waitFor()
    expect(await refused.getAttribute('role')).toBe('alert')
    const renews = new Date(spent.renewsAt!).toLocaleDateString('en-GB', {
      day: 'numeric',
      month: 'short',
      year: 'numeric',
      timeZone: 'UTC',
    })
    expect(await refused.innerText()).toContain(`becomes free on ${renews}`)
    expect(await panel.getByTestId('insights-chart').count()).toBe(0)
    expect((await budgetOf(analyst.key)).queries).toBe(spent.queries)
    await checkState(page, 'insights budget exhausted', { name: 'console-insights-exhausted' })
    expect(errors).toEqual([])
    await context.close()

    // The admin's panel: a meter for every analyst key, this one named and nearly empty.
    const second = await openConsolePanel(browser, shop, DESKTOP, 'insights-panel')
    const row = meter(second.page, analyst.keyId)
    await row.waitFor()
    expect(await row.innerText()).toContain('insights browser exhausted (analyst)')
    expect(Number(await row.getAttribute('data-remaining-rho'))).toBeCloseTo(spent.remainingRho, 9)
    const all = await shop.ctx.request({ method: 'GET', url: '/v1/insights/budgets', as: 'admin' })
    expect(all.statusCode, all.body).toBe(200)
    const listed = all.json<{ budgets: BudgetState[] }>().budgets.map((b) => b.keyId)
    for (const keyId of listed) await meter(second.page, keyId).waitFor()
    await second.context.close()
  }, 90_000)

  it('a partner key is told at login that the console is for staff keys', async () => {
    const { page, context } = await newShopper(browser)
    await page.goto(`${shop.base}/console`)
    await page.getByLabel('API key').fill(shop.ctx.keys.partner)
    await page.getByRole('button', { name: 'Log in' }).click()
    expect(await page.getByRole('alert').innerText()).toBe(
      'That key is not a staff key: a partner key works only with the clean-room API.',
    )
    await context.close()
  }, 60_000)

  for (const viewport of VIEWPORTS)
    it(`${viewport.name}: the privacy center says which purposes feed statistics and that differential privacy protects them`, async () => {
      const { page, context } = await newShopper(browser, {
        viewport: { width: viewport.width, height: viewport.height },
      })
      const errors = pageErrors(page)
      const notice = (await shop.ctx.request({ method: 'GET', url: '/v1/notice' })).json<{
        statistics: {
          purposes: { key: string; title: string }[]
          text: string
          cleanRoom: { key: string; title: string; partners: string[] }[]
        }
      }>().statistics
      await page.goto(`${shop.base}/`)
      const dialog = page.getByRole('dialog', { name: 'Your privacy choices' })
      await dialog.getByRole('button', { name: 'Accept all' }).click()
      await dialog.waitFor({ state: 'detached' })
      // The choices are saved before the page is left (else leaving could cut the save short).
      const ref = await visitorRef(page)
      const feeding = async () => {
        const r = await shop.ctx.request({
          method: 'GET',
          url: `/v1/subjects/${ref}/consents`,
          as: 'admin',
        })
        if (r.statusCode !== 200) return []
        const allowed = (r.json().decisions as { purpose: string; allowed: boolean }[])
          .filter((d) => d.allowed)
          .map((d) => d.purpose)
        return notice.purposes.filter((p) => allowed.includes(p.key)).map((p) => p.key)
      }
      await expect.poll(feeding).toEqual(notice.purposes.map((p) => p.key))
      await page.goto(`${shop.base}/privacy`)
      const part = page.getByTestId('statistics')
      await part.waitFor()
      expect(await part.getByRole('heading', { level: 2 }).innerText()).toBe('Statistics')
      expect(notice.purposes.length).toBeGreaterThan(0)
      const text = await part.innerText()
      expect(text).toContain('differential privacy')
      expect(text).toContain('random noise')
      for (const p of notice.purposes) {
        const item = part.locator(`li[data-purpose="${p.key}"]`)
        expect(await item.innerText()).toContain(p.title)
        // Accept all: this visitor's own data counts in it now.
        await item.getByText('Your data counts in it now.').waitFor()
      }
      for (const c of notice.cleanRoom) {
        const room = part.locator(`[data-clean-room="${c.key}"]`)
        expect(await room.getByRole('heading', { level: 3 }).innerText()).toBe(c.title)
        for (const partner of c.partners) expect(await room.innerText()).toContain(partner)
      }
      // Turned off under "Your choices": the part says so.
      const first = notice.purposes[0]!
      // A click, not uncheck(): the box shows the saved choice, so it flips back until the save is read.
      await page.locator(`#consents li[data-purpose="${first.key}"] input`).click()
      await part
        .locator(`li[data-purpose="${first.key}"]`)
        .getByText('Your data is not used.')
        .waitFor()
      await part.scrollIntoViewIfNeeded()
      await checkState(page, `${viewport.name} privacy center statistics`, {
        name: `privacy-statistics-${viewport.name}`,
      })
      expect(errors).toEqual([])
      await context.close()
    }, 60_000)
})
