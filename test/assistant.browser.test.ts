import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BROWSER_AVAILABLE, launchBrowser } from './helpers/browser.js'
import { VIEWPORTS, checkState, pageErrors } from './helpers/page-checks.js'
import { STEP_MS, type ShopServer, newShopper, startShop, visitorRef } from './helpers/shop.js'

const QUESTION = 'a gift under 20 pounds for a tea lover'

/** The price on a card ("£4.95") as a number. */
function pounds(text: string): number {
  return Number(text.replace(/[^0-9.]/g, ''))
}

/**
 * The shop assistant in the demo shop (issue 24): the button opens a chat panel (a modal dialog with the
 * focus inside, Escape closes it and the focus returns to the button), the question is answered with
 * products as cards (title linking to the product, price within the budget, why each was chosen) and a
 * sentence saying what was used; at desktop and phone size, with screenshots, axe and no sideways
 * scroll; the question and the shopper never travel in an address.
 */
describe.skipIf(!BROWSER_AVAILABLE)('the shop assistant in the demo shop', () => {
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

  for (const viewport of VIEWPORTS)
    it(`${viewport.name}: asks for a gift under 20 pounds for a tea lover and gets explained items`, async () => {
      const { page, context } = await newShopper(browser, {
        viewport: { width: viewport.width, height: viewport.height },
      })
      const errors = pageErrors(page)
      const urls: string[] = []
      const posts: { url: string; body: string }[] = []
      page.on('request', (request) => {
        urls.push(request.url())
        if (request.url().includes('/v1/assistant/'))
          posts.push({ url: request.url(), body: request.postData() ?? '' })
      })
      await page.goto(`${shop.base}/`)
      await page.getByRole('dialog').getByRole('button', { name: 'Accept all' }).click()
      await page.getByRole('dialog').waitFor({ state: 'detached' })

      const opener = page.getByRole('button', { name: 'Ask the shop assistant' })
      await opener.click()
      const panel = page.getByRole('dialog', { name: 'Shop assistant' })
      await panel.waitFor()
      // The focus is in the panel, on its heading; the shop behind it is inert.
      expect(await page.evaluate<string | undefined>('document.activeElement?.id')).toBe(
        'assistant-title',
      )
      expect(await page.locator('#shop').getAttribute('inert')).toBe('')
      await checkState(page, `assistant opened (${viewport.name})`)

      await panel.getByLabel('Your question').fill(QUESTION)
      await page.keyboard.press('Enter')
      const answer = panel.getByTestId('assistant-answer')
      await answer.waitFor({ timeout: STEP_MS })
      const cards = answer.getByTestId('assistant-item')
      const count = await cards.count()
      expect(count).toBeGreaterThan(0)
      for (let i = 0; i < count; i++) {
        const card = cards.nth(i)
        expect(pounds(await card.getByTestId('assistant-price').innerText())).toBeLessThanOrEqual(
          20,
        )
        expect((await card.getByTestId('assistant-why').innerText()).length).toBeGreaterThan(10)
        const id = (await card.getAttribute('data-id'))!
        expect(await card.getByRole('link').getAttribute('href')).toBe(`/p/${id}`)
      }
      // At least one card is about tea, and the answer says what it used.
      const titles = await cards.getByRole('link').allInnerTexts()
      expect(titles.some((t) => /\btea/i.test(t))).toBe(true)
      expect(await answer.getByTestId('assistant-used').innerText()).toMatch(/What it used: \S+/)
      await checkState(page, `assistant answered (${viewport.name})`, {
        name: `assistant-${viewport.name}`,
        readme: viewport.name === 'desktop' ? 'assistant' : 'assistant-phone',
      })

      // The question and the shopper go in the body of a POST, never in an address.
      const ref = await visitorRef(page)
      expect(posts).toHaveLength(1)
      expect(new URL(posts[0]!.url).search).toBe('')
      expect(JSON.parse(posts[0]!.body)).toMatchObject({ text: QUESTION, subject: ref })
      for (const url of urls) {
        const decoded = decodeURIComponent(url).replace(/\+/g, ' ')
        expect(decoded, url).not.toContain('tea lover')
        expect(decoded, url).not.toContain('20 pounds')
      }

      // A question holding an e-mail address is refused, said plainly, and the address goes nowhere else.
      await panel.getByLabel('Your question').fill('send the list to jo.tester@example.com')
      await panel.getByRole('button', { name: 'Ask', exact: true }).click()
      const refusal = panel.getByRole('alert')
      await refusal.waitFor({ timeout: STEP_MS })
      expect(await refusal.innerText()).toMatch(
        /could not take that question: looks like it holds personal data/,
      )
      expect(await refusal.innerText()).not.toContain('example.com')
      expect(urls.filter((u) => decodeURIComponent(u).includes('example.com'))).toEqual([])
      // The second question continues the conversation the first answer started.
      const first = posts[0]!
      const started = (await page.evaluate<string | null>(
        "document.querySelector('[data-testid=assistant-answer]')?.getAttribute('data-conversation')",
      ))!
      expect(started).toMatch(/^conv_/)
      expect(JSON.parse(first.body)).not.toHaveProperty('conversationId')
      expect(JSON.parse(posts[1]!.body)).toMatchObject({ conversationId: started })
      await checkState(page, `assistant refused a question (${viewport.name})`)

      // Escape closes the panel and the focus returns to the button.
      await page.keyboard.press('Escape')
      await panel.waitFor({ state: 'detached' })
      expect(await page.evaluate<string | undefined>('document.activeElement?.className')).toBe(
        'assistant-open',
      )
      expect(errors).toEqual([])
      await context.close()
    }, 120_000)
})
