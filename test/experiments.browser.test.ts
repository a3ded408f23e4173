import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BROWSER_AVAILABLE, launchBrowser, openConsolePanel } from './helpers/browser.js'
import { VIEWPORTS, checkState, pageErrors } from './helpers/page-checks.js'
import { STEP_MS, type ShopServer, newShopper, startShop, visitorRef } from './helpers/shop.js'

/**
 * The experiments UI (issue 21): in the console an admin sees each experiment with its state, stage and
 * the chart of its confidence sequences, is told beside each wrong field why an experiment was refused
 * (nothing started), starts one and stops it; in the privacy center a shopper enrolled in an experiment
 * finds it listed in plain words. At desktop and phone size (no sideways scroll, axe), with screenshots.
 */
describe.skipIf(!BROWSER_AVAILABLE)('the experiments UI in a real browser', () => {
  let browser: Browser
  let shop: ShopServer
  let version: string
  beforeAll(async () => {
    browser = await launchBrowser()
    shop = await startShop()
    version = (await shop.ctx.request({ method: 'GET', url: '/v1/notice' })).json()
      .version as string
  }, 120_000)
  afterAll(async () => {
    await browser?.close()
    await shop?.ctx.close()
  })

  const define = async (name: string) => {
    const created = await shop.ctx.request({
      method: 'POST',
      url: '/v1/experiments',
      as: 'admin',
      payload: {
        name,
        target: 'recommendation_parameters',
        variants: [
          { name: 'control', settings: {} },
          { name: 'less_popular', settings: { 'personal.popularityWeight': 0 } },
        ],
        primaryMetric: 'purchase',
        guardrails: [{ metric: 'not_this', tolerance: 0.01 }],
        stages: [1],
      },
    })
    expect(created.statusCode, created.body).toBe(201)
    return created.json().id as string
  }
  /** Grants the experiments' purpose (session suggestions) to a shopper, as the banner would. */
  const grant = async (ref: string) => {
    const subjectId = await shop.ctx.services.identity.ensureSubjectId(ref)
    await shop.ctx.services.consent.recordChange(
      subjectId,
      'personalize.session',
      { decision: 'granted', method: 'api', noticeVersion: version },
      {},
      { kind: 'system', name: 'test' },
    )
  }
  const enrol = async (id: string, ref: string) => {
    const a = await shop.ctx.request({
      method: 'GET',
      url: `/v1/experiments/${id}/assignment?subject=${encodeURIComponent(ref)}`,
      as: 'storefront',
    })
    expect(a.json().status, a.body).toBe('enrolled')
    return a.json().variant as string
  }
  const listed = async () =>
    (await shop.ctx.request({ method: 'GET', url: '/v1/experiments', as: 'admin' })).json<{
      experiments: { name: string; status: string }[]
    }>().experiments

  for (const viewport of VIEWPORTS)
    it(`${viewport.name} ${viewport.width}x${viewport.height}: console list, chart, field errors, start, stop; privacy center list`, async () => {
      const { ctx } = shop
      const run = viewport.name
      // An experiment with a few enrolled shoppers and three looks of the rollout job.
      const id = await define(`Fewer popular items ${run}`)
      for (let i = 0; i < 6; i++) {
        const ref = `exp-ui-${run}-${i}`
        await grant(ref)
        await enrol(id, ref)
      }
      for (let look = 0; look < 3; look++) {
        ctx.clock.advance(3_600_000)
        const r = await ctx.request({
          method: 'POST',
          url: `/v1/experiments/${id}/rollout`,
          as: 'admin',
        })
        expect(r.statusCode, r.body).toBe(200)
      }

      const { page, context, panel, errors } = await openConsolePanel(
        browser,
        shop,
        viewport,
        'experiments-panel',
      )
      const item = panel.locator(`[data-id="${id}"]`)
      await item.waitFor()
      expect(await item.getByTestId('experiment-state').innerText()).toMatch(
        /^Running, stage 1 of 1, 100% of shoppers/,
      )
      const chart = item.locator(`[data-chart="sequence-${id}"]`)
      await chart.locator('svg').waitFor({ timeout: STEP_MS })
      expect(await chart.locator('figcaption').innerText()).toContain('3 looks')
      // One band and one line per comparison (primary and guardrail), drawn from the looks.
      expect(await chart.locator('svg path').count()).toBeGreaterThan(3)

      // Refused: no name, an unknown setting; each named beside its field, nothing started.
      const before = (await listed()).length
      await panel.getByLabel('Variant name (the control is "control")').fill('no_popular')
      await panel
        .getByLabel('Variant settings (name=value, comma-separated)')
        .fill('personal.nope=1')
      await panel.getByRole('button', { name: 'Start experiment' }).click()
      await panel.getByTestId('exp-error-name').waitFor()
      expect(await panel.getByLabel('Name', { exact: true }).getAttribute('aria-invalid')).toBe(
        'true',
      )
      expect((await listed()).length).toBe(before)
      await checkState(page, `experiment refused (${run})`, {
        name: `console-experiments-errors-${run}`,
      })
      const name = `Less popular ${run}`
      await panel.getByLabel('Name', { exact: true }).fill(name)
      await panel.getByRole('button', { name: 'Start experiment' }).click()
      await panel.getByTestId('exp-error-settings').waitFor()
      expect(await panel.getByTestId('exp-error-settings').innerText()).not.toBe('')
      expect((await listed()).length).toBe(before)
      await panel
        .getByLabel('Variant settings (name=value, comma-separated)')
        .fill('personal.popularityWeight=0')
      await panel.getByRole('button', { name: 'Start experiment' }).click()
      await panel
        .getByTestId('experiment-said')
        .filter({ hasText: `Started experiment ${name}` })
        .waitFor()
      expect((await listed()).map((x) => x.name)).toContain(name)
      await panel
        .getByTestId('experiment')
        .filter({ hasText: name })
        .getByTestId('no-looks')
        .waitFor()
      await checkState(page, `experiments panel (${run})`, { name: `console-experiments-${run}` })

      // Stop: the state says so and the server agrees.
      await item.getByRole('button', { name: `Stop Fewer popular items ${run}` }).click()
      await item
        .getByTestId('experiment-state')
        .filter({ hasText: /^Stopped/ })
        .waitFor()
      expect((await listed()).find((x) => x.name === `Fewer popular items ${run}`)?.status).toBe(
        'stopped',
      )
      await context.close()

      // The privacy center: a shopper enrolled in a running experiment finds it in plain words.
      const running = await define(`Ranking trial ${run}`)
      const shopper = await newShopper(browser, {
        viewport: { width: viewport.width, height: viewport.height },
      })
      const shopperErrors = pageErrors(shopper.page)
      await shopper.page.goto(`${shop.base}/`)
      await shopper.page.getByRole('dialog').getByRole('button', { name: 'Accept all' }).click()
      const ref = await visitorRef(shopper.page)
      // The banner's answer may still be on its way: the grant is recorded here as well.
      await grant(ref)
      const variant = await enrol(running, ref)
      await shopper.page.goto(`${shop.base}/privacy`)
      const section = shopper.page.getByTestId('experiments')
      const entry = section.locator(`[data-experiment="${running}"]`)
      await entry.waitFor({ timeout: STEP_MS })
      const text = await entry.innerText()
      expect(text).toContain(`Ranking trial ${run}`)
      expect(text).toContain(
        variant === 'control'
          ? 'Nothing differs for you'
          : 'we change how much items popular with everyone count',
      )
      expect(await section.getByTestId('answers-shaped').innerText()).toMatch(/answers? you got/)
      await section.scrollIntoViewIfNeeded()
      await checkState(shopper.page, `privacy experiments (${run})`, {
        name: `privacy-experiments-${run}`,
      })
      expect(errors).toEqual([])
      expect(shopperErrors).toEqual([])
      await shopper.context.close()
    }, 180_000)
})
