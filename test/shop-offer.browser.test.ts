import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BROWSER_AVAILABLE, launchBrowser } from './helpers/browser.js'
import { VIEWPORTS, checkState, pageErrors } from './helpers/page-checks.js'
import { STEP_MS, type ShopServer, newShopper, startShop, visitorRef } from './helpers/shop.js'

const PERSONAL = 'personalize.recommendations'

/**
 * The demo shop's offer slot (issue 21): the offer Candor picks for the shopper (the demo seed defines
 * them), with its explanation, "not this" (that offer is not shown again) and "stop" (the purpose it
 * rests on is withdrawn in the ledger); at desktop and phone size, with screenshots.
 */
describe.skipIf(!BROWSER_AVAILABLE)('the offer slot in the demo shop', () => {
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

  for (const [i, viewport] of VIEWPORTS.entries())
    it(`${viewport.name}: a visitor sees an offer for everyone, says not this; a demo shopper says stop`, async () => {
      const { page, context } = await newShopper(browser, {
        viewport: { width: viewport.width, height: viewport.height },
      })
      const errors = pageErrors(page)
      await page.goto(`${shop.base}/`)
      await page.getByRole('dialog').getByRole('button', { name: 'Accept all' }).click()
      const slot = page.getByTestId('offer-slot')
      await slot.waitFor({ timeout: STEP_MS })
      // A new visitor has no history: only the offer for everyone, and it says nothing was used.
      expect(await slot.getAttribute('data-offer')).toBe('free-delivery')
      expect(await slot.getByTestId('offer-why').innerText()).toContain(
        'nothing about you was used',
      )
      await checkState(page, `offer slot (${viewport.name})`, {
        name: `shop-offer-${viewport.name}`,
      })
      await slot.getByRole('button', { name: 'Not this' }).click()
      await slot.waitFor({ state: 'detached', timeout: STEP_MS })
      // Candor kept it: asked again, the visitor is not offered it.
      const ref = await visitorRef(page)
      const subjectId = (await shop.ctx.services.identity.findSubjectId(ref))!
      expect(await shop.ctx.services.recommend.hiddenFor(subjectId)).toContain(
        'offer:free-delivery',
      )

      // A demo shopper with a history, who said yes: an offer, and "stop" withdraws its purpose.
      const shopper = `demo-shopper-${i + 2}`
      const reloaded = page.waitForEvent('load', { timeout: STEP_MS })
      await page.getByLabel('Browsing as').selectOption(shopper)
      await reloaded
      await slot.waitFor({ timeout: STEP_MS })
      expect((await slot.getByTestId('offer-why').innerText()).length).toBeGreaterThan(20)
      await checkState(page, `offer slot, demo shopper (${viewport.name})`, {
        name: `shop-offer-shopper-${viewport.name}`,
      })
      const demoId = (await shop.ctx.services.identity.findSubjectId(shopper))!
      expect((await shop.ctx.services.consent.decide(demoId, PERSONAL)).allowed).toBe(true)
      await slot.getByRole('button', { name: 'Stop using my history' }).click()
      await page.getByText('no longer use your history').waitFor({ timeout: STEP_MS })
      expect((await shop.ctx.services.consent.decide(demoId, PERSONAL)).allowed).toBe(false)
      expect(errors).toEqual([])
      await context.close()
    }, 120_000)
})
