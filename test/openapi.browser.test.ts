import type { Browser, Locator, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BROWSER_AVAILABLE, artifactPath, launchBrowser } from './helpers/browser.js'
import { expectNoSidewaysScroll } from './helpers/page-checks.js'
import { type TestContext, createTestContext } from './helpers/test-context.js'

async function listen(ctx: TestContext): Promise<string> {
  await ctx.app.listen({ port: 0, host: '127.0.0.1' })
  const address = ctx.app.server.address()
  if (address === null || typeof address === 'string') throw new Error('no address')
  return `http://127.0.0.1:${address.port}`
}

/** One operation's block on the Swagger UI page, opened. */
async function openOperation(page: Page, method: string, path: string): Promise<Locator> {
  const block = page
    .locator(`.opblock-${method}`)
    .filter({ has: page.locator(`.opblock-summary-path[data-path="${path}"]`) })
  await block.locator('.opblock-summary').first().click()
  await block.locator('.opblock-body').waitFor()
  return block
}

describe.skipIf(!BROWSER_AVAILABLE)('/docs in a real browser', () => {
  let browser: Browser
  let ctx: TestContext
  let base: string
  beforeAll(async () => {
    browser = await launchBrowser()
    ctx = await createTestContext('sqlite')
    base = await listen(ctx)
  })
  afterAll(async () => {
    await browser?.close()
    await ctx?.close()
  })

  it(
    'after Authorize with an API key, "Try it out" on a protected route sends it and gets 200',
    {
      timeout: 90_000,
    },
    async () => {
      const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } })
      await page.goto(`${base}/docs`)
      await page.locator('.btn.authorize').first().click()
      const dialog = page.locator('.modal-ux')
      const apiKey = dialog.locator('.auth-container').filter({ hasText: 'apiKey' })
      await apiKey.locator('input').first().fill(ctx.keys.admin)
      await apiKey.locator('button.authorize').click()
      await apiKey.getByText('Authorized').waitFor()
      await apiKey.locator('button.btn-done').click()

      const block = await openOperation(page, 'get', '/v1/admin/keys')
      // The operation says who may call it and documents its errors.
      const text = await block.innerText()
      expect(text).toContain('Who may call')
      for (const status of ['401', '403', '429']) expect(text).toContain(status)
      await block.locator('.try-out__btn').click()
      const [request, response] = await Promise.all([
        page.waitForRequest((r) => new URL(r.url()).pathname === '/v1/admin/keys'),
        page.waitForResponse((r) => new URL(r.url()).pathname === '/v1/admin/keys'),
        block.locator('.execute').click(),
      ])
      expect(await request.headerValue('authorization')).toBe(`Bearer ${ctx.keys.admin}`)
      expect(response.status()).toBe(200)
      const shown = block.locator('.live-responses-table tr.response .response-col_status').first()
      await expect(shown.innerText()).resolves.toContain('200')
      await page.screenshot({ path: artifactPath('docs-try-it-out.png'), fullPage: false })
      // Swagger UI's own markup is not held to axe here (it nests buttons in its operation summaries).
      await expectNoSidewaysScroll(page, '/docs after Try it out')
      await page.close()
    },
  )

  it(
    'without Authorize, the same call is a documented 401 problem',
    { timeout: 90_000 },
    async () => {
      const page = await browser.newPage()
      await page.goto(`${base}/docs`)
      const block = await openOperation(page, 'get', '/v1/admin/keys')
      await block.locator('.try-out__btn').click()
      const [request, response] = await Promise.all([
        page.waitForRequest((r) => new URL(r.url()).pathname === '/v1/admin/keys'),
        page.waitForResponse((r) => new URL(r.url()).pathname === '/v1/admin/keys'),
        block.locator('.execute').click(),
      ])
      expect(await request.headerValue('authorization')).toBeNull()
      expect(response.status()).toBe(401)
      expect(response.headers()['content-type']).toContain('application/problem+json')
      await page.close()
    },
  )

  it(
    'shows the events batch with realistic examples, never additionalProp1',
    {
      timeout: 90_000,
    },
    async () => {
      const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } })
      await page.goto(`${base}/docs`)
      const block = await openOperation(page, 'post', '/v1/events')
      const text = await block.innerText()
      expect(text).not.toContain('additionalProp')
      expect(text).toContain('"add_to_cart"')
      expect(text).toContain('"no_consent"')
      await block.locator('.try-out__btn').click()
      const body = await block.locator('textarea.body-param__text').inputValue()
      expect(body).not.toContain('additionalProp')
      const sent = JSON.parse(body) as { events: { id: string; type: string; timestamp: string }[] }
      expect(sent.events.map((e) => e.type)).toEqual(['view', 'add_to_cart', 'purchase', 'search'])
      await page.screenshot({ path: artifactPath('docs-events.png'), fullPage: false })
      await page.close()
    },
  )
})
