import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BROWSER_AVAILABLE, launchBrowser } from './helpers/browser.js'
import { VIEWPORTS, checkState, pageErrors } from './helpers/page-checks.js'
import { STEP_MS, type ShopServer, newShopper, startShop, visitorRef } from './helpers/shop.js'

/**
 * The demo shop's survey (issue 21): under the recommendation row, the SDK shows the seeded one-question
 * survey "Was this suggestion helpful?" to a shopper who allowed suggestions from their history; the
 * answer reaches the voice intake, the survey thanks, and it is not asked again. Desktop and phone size,
 * with screenshots and axe.
 */
describe.skipIf(!BROWSER_AVAILABLE)('the survey in the demo shop', () => {
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
    it(`${viewport.name}: a shopper answers "Was this suggestion helpful?" and is thanked, once`, async () => {
      const { page, context, requests } = await newShopper(browser, {
        viewport: { width: viewport.width, height: viewport.height },
      })
      const errors = pageErrors(page)
      await page.goto(`${shop.base}/`)
      // Before any choice: no survey is asked for.
      expect(requests.filter((r) => r.includes('/v1/surveys'))).toEqual([])
      await page.getByRole('dialog').getByRole('button', { name: 'Accept all' }).click()
      const survey = page.getByRole('region', { name: 'Tell us about these suggestions' })
      await survey.waitFor({ timeout: STEP_MS })
      const group = survey.getByRole('group', { name: 'Was this suggestion helpful?' })
      expect(await group.getByRole('radio').count()).toBe(2)
      // The page asks again once the level on record is known after the choice (CI once found the
      // first region detached): the region shown first must stay the one on show, not be drawn anew.
      await survey.evaluate((el: { setAttribute(name: string, value: string): void }) => {
        el.setAttribute('data-first', 'yes')
      })
      await expect
        .poll(() => requests.filter((r) => r.includes('/v1/surveys/active')).length, {
          timeout: STEP_MS,
        })
        .toBeGreaterThanOrEqual(2)
      await page.waitForLoadState('networkidle')
      expect(await survey.getAttribute('data-first')).toBe('yes')
      await survey.scrollIntoViewIfNeeded()
      await checkState(page, `survey asked (${viewport.name})`, {
        name: `shop-survey-${viewport.name}`,
      })

      const answer = i === 0 ? 'Yes' : 'No'
      await group.getByRole('radio', { name: answer }).check()
      const posted = page.waitForResponse(
        (r) => new URL(r.url()).pathname === '/v1/voice' && r.request().method() === 'POST',
      )
      await survey.getByRole('button', { name: 'Send' }).click()
      expect((await posted).status()).toBe(201)
      await survey.getByText('Thank you').waitFor({ timeout: STEP_MS })
      // Focus moves to the thank-you line, so a screen reader reads it.
      expect(await page.evaluate<string>("document.activeElement?.textContent ?? ''")).toContain(
        'Thank you',
      )
      await checkState(page, `survey thanked (${viewport.name})`, {
        name: `shop-survey-thanks-${viewport.name}`,
      })

      // The answer is in the voice data, under the shopper's pseudonym and the survey's purpose.
      const subjectId = (await shop.ctx.services.identity.findSubjectId(await visitorRef(page)))!
      const { entries, surveysShown } = await shop.ctx.services.voice.exportSubject(subjectId)
      expect(entries).toEqual([
        expect.objectContaining({
          kind: 'survey',
          survey: 'suggestion-helpful',
          question: 'helpful',
          answer,
          purpose: 'personalize.recommendations',
        }),
      ])
      expect(surveysShown.map((s) => s.survey)).toEqual(['suggestion-helpful'])

      // Answered: not asked again on the next visit to the page.
      const active = page.waitForResponse((r) => r.url().includes('/v1/surveys/active'))
      await page.reload()
      expect(await (await active).json()).toEqual({ survey: null, reason: 'answered' })
      expect(await page.getByTestId('survey-slot').innerHTML()).toBe('')
      expect(errors).toEqual([])
      await context.close()
    }, 120_000)
})
