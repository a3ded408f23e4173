import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BROWSER_AVAILABLE, artifactPath, launchBrowser } from './helpers/browser.js'
import { DESKTOP, PHONE, expectAccessible, expectNoSidewaysScroll } from './helpers/page-checks.js'
import {
  STEP_MS,
  type ShopServer,
  attributes,
  newShopper,
  startShop,
  visitorRef,
} from './helpers/shop.js'

const FLOW_MS = 90_000

async function rowItems(page: Page, placement: string): Promise<string[]> {
  const row = page.locator(`.rec-block[data-placement="${placement}"] .candor-row`)
  await row.waitFor()
  return attributes(row.locator('.candor-item'), 'data-item')
}

/** The query of every recommendation request the page made. */
function recommendationQueries(page: Page): URLSearchParams[] {
  const queries: URLSearchParams[] = []
  page.on('request', (request) => {
    const url = new URL(request.url())
    if (url.pathname === '/v1/recommendations') queries.push(url.searchParams)
  })
  return queries
}

describe.skipIf(!BROWSER_AVAILABLE)('the demo shop: prompts, layout, basket', () => {
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

  for (const choice of ['Reject all', 'Accept all'] as const) {
    it(
      `asks no inline question behind the banner or after "${choice}", on any page`,
      async () => {
        const { context, page } = await newShopper(browser)
        await page.goto(`${shop.base}/`)
        const dialog = page.getByRole('dialog', { name: 'Your privacy choices' })
        await dialog.waitFor()
        // The row waits for the banner: no question (and no request that would log one) behind it.
        await page.locator('.rec-waiting').waitFor()
        expect(await page.locator('.prompt').count()).toBe(0)
        await expectAccessible(page, 'banner open')
        await dialog.getByRole('button', { name: choice }).click()
        await dialog.waitFor({ state: 'detached' })
        for (const path of ['/', '/c/kitchen', '/p/85123A', '/basket']) {
          await page.goto(`${shop.base}${path}`)
          await page.locator('.rec-block .candor-row').waitFor()
          await page.waitForTimeout(300) // a question would come with the row's answer
          expect(await page.locator('.prompt').count(), path).toBe(0)
        }
        const decisions = await shop.ctx.request({
          method: 'GET',
          url: `/v1/subjects/${await visitorRef(page)}/consents`,
          as: 'admin',
        })
        const personal = (
          decisions.json().decisions as { purpose: string; allowed: boolean }[]
        ).find((d) => d.purpose === 'personalize.recommendations')
        expect(personal?.allowed).toBe(choice === 'Accept all')
        await context.close()
      },
      FLOW_MS,
    )
  }

  it(
    'after "Decide later" the question is the server’s, and after "No thanks" it does not come back',
    async () => {
      const { context, page } = await newShopper(browser)
      await page.goto(`${shop.base}/`)
      await page.getByRole('button', { name: /^Decide later/ }).click()
      const prompt = page.getByRole('complementary', { name: 'A question about suggestions' })
      await prompt.waitFor()
      expect(await prompt.innerText()).toContain('Suggestions based on your history?')
      await expectAccessible(page, 'inline question')
      await page.screenshot({ path: artifactPath('shop-prompt.png') })
      await prompt.getByRole('button', { name: 'No thanks' }).click()
      await prompt.waitFor({ state: 'detached' })
      for (const path of ['/', '/p/22423']) {
        await page.goto(`${shop.base}${path}`)
        await page.locator('.rec-block .candor-row').waitFor()
        await page.waitForTimeout(300)
        expect(await page.locator('.prompt').count(), path).toBe(0)
      }
      const history = (
        await shop.ctx.request({
          method: 'GET',
          url: `/v1/subjects/${await visitorRef(page)}/consents`,
          as: 'admin',
        })
      ).json().history as { purpose: string; decision: string; method: string }[]
      expect(history).toContainEqual(
        expect.objectContaining({
          purpose: 'personalize.recommendations',
          decision: 'denied',
          method: 'progressive_prompt',
        }),
      )
      await context.close()
    },
    FLOW_MS,
  )

  it(
    'on a phone the banner’s choices are in the first screen, the header is compact, and no page scrolls sideways',
    async () => {
      const { context, page } = await newShopper(browser, { viewport: PHONE })
      await page.goto(`${shop.base}/`)
      const dialog = page.getByRole('dialog')
      await dialog.waitFor()
      for (const name of ['Accept all', 'Reject all', 'Save my choices']) {
        const box = await dialog.getByRole('button', { name }).boundingBox()
        expect(box, name).not.toBeNull()
        expect(box!.y, name).toBeGreaterThanOrEqual(0)
        expect(box!.y + box!.height, name).toBeLessThanOrEqual(PHONE.height)
        expect(box!.x + box!.width, name).toBeLessThanOrEqual(PHONE.width)
      }
      await page.screenshot({ path: artifactPath('shop-phone-banner.png') })
      await expectNoSidewaysScroll(page, 'phone, banner open')
      await expectAccessible(page, 'phone: banner open')
      await dialog.getByRole('button', { name: 'Reject all' }).click()
      await dialog.waitFor({ state: 'detached' })
      await rowItems(page, 'home')
      const header = await page.locator('.site-header').boundingBox()
      expect(header!.height).toBeLessThanOrEqual(100)
      await page.screenshot({ path: artifactPath('shop-phone.png') })

      for (const path of ['/', '/c/kitchen', '/p/85123A', '/p/22423', '/basket']) {
        await page.goto(`${shop.base}${path}`)
        await page.locator('.rec-block .candor-row').waitFor()
        await expectNoSidewaysScroll(page, `phone ${path}`)
        await expectAccessible(page, `phone ${path}`)
      }
      const categories = (await shop.ctx.request({ method: 'GET', url: '/demo/catalog' })).json()
        .categories as { id: string }[]
      for (const { id } of categories) {
        await page.goto(`${shop.base}/c/${id}`)
        await page.locator('.rec-block .candor-row').waitFor()
        await expectNoSidewaysScroll(page, `phone /c/${id}`)
      }
      await page.setViewportSize(DESKTOP)
      for (const path of ['/', ...categories.map((c) => `/c/${c.id}`), '/p/85123A', '/basket']) {
        await page.goto(`${shop.base}${path}`)
        await page.locator('.rec-block .candor-row').waitFor()
        await expectNoSidewaysScroll(page, `desktop ${path}`)
      }
      await context.close()
    },
    FLOW_MS,
  )

  it(
    'cards show a drawn picture, a price and "Add to basket"; rows ask for the page they are on',
    async () => {
      const { context, page } = await newShopper(browser, { viewport: DESKTOP })
      const queries = recommendationQueries(page)
      await page.goto(`${shop.base}/`)
      await page.getByRole('dialog').getByRole('button', { name: 'Accept all' }).click()
      await rowItems(page, 'home')
      const cards = page.locator('.grid .card')
      expect(await cards.count()).toBe(12)
      const pictures = await attributes(cards.locator('img.picture'), 'src')
      expect(pictures).toHaveLength(12)
      for (const src of pictures) expect(src).toMatch(/^data:image\/svg\+xml,/)
      expect(new Set(pictures).size).toBeGreaterThan(6)
      for (const price of await cards.locator('.price').allInnerTexts())
        expect(price).toMatch(/^£\d+\.\d\d$/)
      expect(await cards.getByRole('button', { name: /^Add to basket: / }).count()).toBe(12)
      // Row items have them too, and one "Stop personalizing" for the whole row.
      const row = page.locator('.rec-block .candor-row')
      expect(await row.locator('.candor-item img.picture').count()).toBeGreaterThan(0)
      expect(await row.locator('.candor-row-actions .candor-stop').count()).toBe(1)
      expect(await row.locator('.candor-item .candor-stop').count()).toBe(0)
      await expectAccessible(page, 'home, personal')
      await page.screenshot({ path: artifactPath('shop-desktop.png') })

      // The same product draws the same picture on its own page.
      const first = (await attributes(cards, 'data-item'))[0]!
      await page.goto(`${shop.base}/p/${first}`)
      await rowItems(page, 'product')
      expect(await page.locator('.product img.picture').getAttribute('src')).toBe(pictures[0])
      await page.goto(`${shop.base}/c/kitchen`)
      await rowItems(page, 'category')
      const product = queries.find((q) => q.get('placement') === 'product')
      expect(product?.get('item')).toBe(first)
      const category = queries.find((q) => q.get('placement') === 'category')
      expect(category?.get('category')).toBe('Kitchen and dining')
      // The heading says what the row is: general picks are "Popular ..." or "New ...", never "right now".
      const heading = await page.locator('.rec-block .candor-heading').innerText()
      const kinds = await attributes(page.locator('.rec-block .candor-item'), 'data-kind')
      if (kinds.every((k) => ['popular', 'new', 'trending'].includes(k)))
        expect(heading).toMatch(/^(Popular|New) /)
      expect(heading).not.toContain('right now')
      await expectAccessible(page, 'category, personal')

      // An order from the basket goes to Candor as purchase events, and empties the basket.
      const ref = await visitorRef(page)
      await page.locator('.grid .card').first().getByRole('button').click()
      const ordered = (await attributes(page.locator('.grid .card'), 'data-item'))[0]!
      await page.goto(`${shop.base}/basket`)
      await page.getByRole('button', { name: 'Place order (demo)' }).click()
      await page.getByText('Your basket is empty.').waitFor()
      const subjectId = await shop.ctx.services.identity.findSubjectId(ref)
      await expect
        .poll(
          async () =>
            (await shop.ctx.services.events.listSubjectEvents(subjectId!)).some(
              (e) => e.type === 'purchase' && e.item === ordered,
            ),
          { timeout: STEP_MS },
        )
        .toBe(true)
      await context.close()
    },
    FLOW_MS,
  )

  it(
    'the basket: "Add to basket" lists the item on the basket page, and the visit’s row uses it',
    async () => {
      const { context, page } = await newShopper(browser, { viewport: DESKTOP })
      await page.goto(`${shop.base}/`)
      // Suggestions from this visit only.
      const dialog = page.getByRole('dialog')
      await dialog.getByLabel('Suggestions based on this visit').check()
      await dialog.getByRole('button', { name: 'Save my choices' }).click()
      await dialog.waitFor({ state: 'detached' })
      const ref = await visitorRef(page)

      await page.goto(`${shop.base}/p/85123A`)
      await rowItems(page, 'product')
      await page.getByRole('button', { name: 'Add to basket', exact: true }).click()
      await page.getByRole('status').filter({ hasText: 'is in your basket' }).waitFor()
      expect(await page.locator('.basket-link .count').innerText()).toBe('1')
      await expectAccessible(page, 'product, session')
      await page.screenshot({ path: artifactPath('shop-product.png') })

      // Candor accepted the cart event (kept for this visit only), sent as soon as it was added.
      const subjectId = await shop.ctx.services.identity.findSubjectId(ref)
      await expect
        .poll(
          async () =>
            (await shop.ctx.services.events.listSubjectEvents(subjectId!)).filter(
              (e) => e.type === 'cart' && e.item === '85123A',
            ).length,
          { timeout: STEP_MS },
        )
        .toBe(1)

      await page.getByRole('link', { name: /^Basket/ }).click()
      await page.waitForURL(`${shop.base}/basket`)
      const line = page.locator('.basket-line')
      await line.first().waitFor()
      expect(await attributes(line, 'data-item')).toEqual(['85123A'])
      expect(await line.innerText()).toContain('White Hanging Heart T-light Holder')
      expect(await page.locator('.basket-total').innerText()).toContain('£2.95')
      const items = await rowItems(page, 'cart')
      expect(items).not.toContain('85123A')
      const basketRow = page.locator('.rec-block[data-placement="cart"] .candor-row')
      expect(await basketRow.getAttribute('data-level')).toBe('session')
      const kinds = await attributes(basketRow.locator('.candor-item'), 'data-kind')
      expect(
        kinds.some((k) => !['popular', 'new', 'trending'].includes(k)),
        kinds.join(),
      ).toBe(true)
      await expectAccessible(page, 'basket with an item')
      await page.screenshot({ path: artifactPath('shop-basket.png'), fullPage: true })

      // Added from the row: the cart event cites the answer it came from.
      const recommId = await basketRow.getAttribute('data-recomm-id')
      const picked = items[0]!
      await basketRow
        .locator(`.candor-item[data-item="${picked}"]`)
        .getByRole('button', { name: /^Add to basket: / })
        .click()
      await expect.poll(() => line.count()).toBe(2)
      await expect
        .poll(
          async () =>
            (await shop.ctx.services.events.listSubjectEvents(subjectId!)).some(
              (e) => e.type === 'cart' && e.item === picked && e.recommId === recommId,
            ),
          { timeout: STEP_MS },
        )
        .toBe(true)

      // One "Stop personalizing" for the row: pressed, the row is the same for everyone.
      await basketRow.getByRole('button', { name: 'Stop personalizing' }).click()
      await expect
        .poll(() =>
          page.locator('.rec-block[data-placement="cart"] .candor-row').getAttribute('data-level'),
        )
        .toBe('off')
      expect(await page.locator('.candor-stop').count()).toBe(0)

      // Then both removed: one with its button, one by quantity 0.
      await page.getByRole('button', { name: 'Remove White Hanging Heart T-light Holder' }).click()
      await expect.poll(() => attributes(line, 'data-item')).not.toContain('85123A')
      await page.getByLabel('Quantity').fill('0')
      await page.getByLabel('Quantity').blur()
      await page.getByText('Your basket is empty.').waitFor()
      await expectAccessible(page, 'empty basket')
      await context.close()
    },
    FLOW_MS,
  )
})
