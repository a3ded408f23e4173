import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BROWSER_AVAILABLE, launchBrowser } from './helpers/browser.js'
import { VIEWPORTS, checkState, pageErrors } from './helpers/page-checks.js'
import { STEP_MS, type ShopServer, attributes, newShopper, startShop } from './helpers/shop.js'

/**
 * The privacy center's anchors (issue 21): the demo shop's offer link ("What Candor knows", the answer's
 * `links.why`, `/privacy#offer-<id>`) lands on a section saying why that offer is shown, and a
 * suggestion's "Why?" link (`/privacy#why-<item>`) on that suggestion's explanation; each is scrolled to
 * and takes the focus. Desktop and phone size, axe, no sideways scroll, screenshots.
 */
describe.skipIf(!BROWSER_AVAILABLE)('privacy center anchors in a real browser', () => {
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

  /** The focused element's id, and whether it shows in the viewport (its top within it). */
  const focused = (page: Page) =>
    page.evaluate<{ id: string; inView: boolean; top: number }>(`(() => {
      const el = document.activeElement
      const r = el ? el.getBoundingClientRect() : { top: -1e6, bottom: -1e6 }
      return { id: el ? el.id : '', inView: r.top > -2 && r.top < window.innerHeight, top: r.top }
    })()`)

  for (const viewport of VIEWPORTS)
    it(`${viewport.name}: the offer's and a suggestion's links land on their explanation, focused`, async () => {
      const { page, context } = await newShopper(browser, {
        viewport: { width: viewport.width, height: viewport.height },
      })
      const errors = pageErrors(page)
      await page.goto(`${shop.base}/`)
      await page.getByRole('dialog').getByRole('button', { name: 'Accept all' }).click()

      // The offer's link.
      const slot = page.getByTestId('offer-slot')
      await slot.waitFor({ timeout: STEP_MS })
      const offer = await slot.getAttribute('data-offer')
      const link = slot.getByRole('link', { name: 'What Candor knows' })
      expect(await link.getAttribute('href')).toBe(`/privacy#offer-${offer}`)
      await link.click()
      const section = page.locator(`[id="offer-${offer}"]`)
      await section.getByRole('heading', { name: /^Why you were shown/ }).waitFor()
      await expect
        .poll(async () => (await focused(page)).id, { timeout: STEP_MS })
        .toBe(`offer-${offer}`)
      expect(await focused(page)).toMatchObject({ inView: true })
      expect(await section.innerText()).toContain('Your choices')
      await checkState(page, `offer anchor (${viewport.name})`, {
        name: `privacy-offer-anchor-${viewport.name}`,
      })

      // A suggestion's "Why?" link, from the home row: one the privacy center explains too (its row
      // is the top 4 at \`home\`, the shop's the top 6 of its own asking).
      const explainedHere = await attributes(page.locator('#why .candor-item'), 'data-item')
      expect(explainedHere.length).toBeGreaterThan(0)
      await page.goto(`${shop.base}/`)
      const shopRow = page.locator('.candor-row .candor-item')
      await shopRow.first().waitFor({ timeout: STEP_MS })
      const item = (await attributes(shopRow, 'data-item')).find((i) => explainedHere.includes(i))!
      expect(item).toBeDefined()
      const first = page.locator(`.candor-row .candor-item[data-item="${item}"]`)
      await first.getByText('Why?').click()
      const why = first.getByRole('link', { name: 'More in your privacy center' })
      expect(await why.getAttribute('href')).toBe(`/privacy#why-${encodeURIComponent(item)}`)
      await why.click()
      const explained = page.locator(`[id="why-${item}"]`)
      await explained.waitFor({ timeout: STEP_MS })
      await expect
        .poll(async () => (await focused(page)).id, { timeout: STEP_MS })
        .toBe(`why-${item}`)
      expect(await focused(page)).toMatchObject({ inView: true })
      // The privacy center's own row links nowhere further: it is where the links lead.
      expect(await page.locator('#why .candor-why-link').count()).toBe(0)
      await checkState(page, `suggestion anchor (${viewport.name})`, {
        name: `privacy-why-anchor-${viewport.name}`,
      })
      expect(errors).toEqual([])
      await context.close()
    }, 120_000)
})
