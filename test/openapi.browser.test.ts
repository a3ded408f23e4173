import type { Browser, Locator, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BROWSER_AVAILABLE, artifactPath, launchBrowser } from './helpers/browser.js'
import { VIEWPORTS, checkState } from './helpers/page-checks.js'
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

  for (const viewport of VIEWPORTS)
    it(
      `after Authorize with an API key, "Try it out" on a protected route sends it and gets 200; axe finds nothing serious at every step (${viewport.name})`,
      {
        timeout: 120_000,
      },
      async () => {
        const page = await browser.newPage({ viewport })
        await page.goto(`${base}/docs`)
        await page.locator('.opblock').first().waitFor()
        const at = (state: string) => `/docs ${state} (${viewport.name})`
        await checkState(page, at('loaded'))
        await page.locator('.btn.authorize').first().click()
        const dialog = page.locator('.modal-ux')
        await dialog.waitFor()
        await checkState(page, at('Authorize dialog'))
        const apiKey = dialog.locator('.auth-container').filter({ hasText: 'apiKey' })
        await apiKey.locator('input').first().fill(ctx.keys.admin)
        await apiKey.locator('button.authorize').click()
        await apiKey.getByText('Authorized').waitFor()
        await apiKey.locator('button.btn-done').click()

        const block = await openOperation(page, 'get', '/v1/admin/keys')
        await checkState(page, at('an operation opened'))
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
        const shown = block
          .locator('.live-responses-table tr.response .response-col_status')
          .first()
        await expect(shown.innerText()).resolves.toContain('200')
        // Swagger UI as it ships fails axe (contrast, unnamed controls, nested links); src/http/docs.ts
        // fixes it through the plugin's options.
        await checkState(page, at('after Try it out'), { name: `docs-try-it-out-${viewport.name}` })
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
      await checkState(page, '/docs events batch in Try it out')
      const body = await block.locator('textarea.body-param__text').inputValue()
      expect(body).not.toContain('additionalProp')
      const sent = JSON.parse(body) as { events: { id: string; type: string; timestamp: string }[] }
      expect(sent.events.map((e) => e.type)).toEqual(['view', 'add_to_cart', 'purchase', 'search'])
      await page.screenshot({ path: artifactPath('docs-events.png'), fullPage: false })
      await page.close()
    },
  )
})
