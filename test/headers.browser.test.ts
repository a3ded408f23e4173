import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BROWSER_AVAILABLE, launchBrowser } from './helpers/browser.js'
import { PERSONAL, seedShopper } from './helpers/shoppers.js'
import { type TestContext, createTestContext } from './helpers/test-context.js'

/** A shop on its own origin: one page that loads Candor's SDK from `?candor=` (the README's example). */
async function startShop(): Promise<{ origin: string; close: () => Promise<void> }> {
  const server = http.createServer((request, response) => {
    const candor = new URL(request.url ?? '/', 'http://shop').searchParams.get('candor') ?? ''
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
    response.end(
      `<!doctype html><title>shop</title><script src="${candor}/sdk/candor.min.js"></script>`,
    )
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

// The callbacks given to the page run there; the DOM globals they use are declared for this file only
// (the tests compile without the DOM library).
declare const window: Record<string, unknown>
declare const document: {
  addEventListener(
    type: 'securitypolicyviolation',
    listener: (event: { violatedDirective: string; blockedURI: string }) => void,
  ): void
  createElement(tag: 'script'): { textContent: string }
  head: { append(node: unknown): void }
}

/** Collects the page's Content-Security-Policy violations from before its first script runs. */
async function watchCsp(page: Page): Promise<() => Promise<string[]>> {
  await page.addInitScript(() => {
    const seen: string[] = []
    ;(window as unknown as { cspViolations: string[] }).cspViolations = seen
    document.addEventListener('securitypolicyviolation', (event) =>
      seen.push(`${event.violatedDirective} ${event.blockedURI}`),
    )
  })
  return () => page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations)
}

describe.skipIf(!BROWSER_AVAILABLE)('headers and CORS in a real browser', () => {
  let browser: Browser
  let ctx: TestContext
  let base: string
  let listedShop: Awaited<ReturnType<typeof startShop>>
  let otherShop: Awaited<ReturnType<typeof startShop>>
  beforeAll(async () => {
    browser = await launchBrowser()
    listedShop = await startShop()
    otherShop = await startShop()
    ctx = await createTestContext('sqlite', { env: { CANDOR_CORS_ORIGINS: listedShop.origin } })
    await ctx.app.listen({ port: 0, host: '127.0.0.1' })
    base = `http://127.0.0.1:${(ctx.app.server.address() as AddressInfo).port}`
  })
  afterAll(async () => {
    await browser?.close()
    await ctx?.close()
    await listedShop?.close()
    await otherShop?.close()
  })

  /** Loads the SDK on `shop`'s page and asks Candor for the shopper's consent, cross-origin. */
  async function loadConsentFrom(shop: string, token: string): Promise<string> {
    const page = await browser.newPage()
    try {
      await page.goto(`${shop}/?candor=${encodeURIComponent(base)}`)
      await page.waitForFunction(() => 'Candor' in window)
      return await page.evaluate(
        async ({ endpoint, token }) => {
          const { createCandor } = (
            window as unknown as {
              Candor: {
                createCandor: (options: object) => {
                  loadConsent(): Promise<{ allowed: unknown; decided: boolean }>
                }
              }
            }
          ).Candor
          const candor = createCandor({ endpoint, subject: 'customer-42', token })
          try {
            const { allowed, decided } = await candor.loadConsent()
            return `decided=${String(decided)} allowed=${JSON.stringify(allowed)}`
          } catch (error) {
            return `failed: ${String(error)}`
          }
        },
        { endpoint: base, token },
      )
    } finally {
      await page.close()
    }
  }

  it(
    'the SDK on a listed shop origin reads consent cross-origin; on an unlisted one it cannot',
    { timeout: 60_000 },
    async () => {
      const { subjectId } = await seedShopper(ctx, 'customer-42', { events: 1 })
      const { token } = ctx.services.auth.issueShopperToken(subjectId)
      // With a bearer token, the browser first sends a preflight: answered for the listed shop only.
      const listed = await loadConsentFrom(listedShop.origin, token)
      expect(listed).toMatch(/^decided=true /)
      expect(listed).toContain(`"${PERSONAL}":true`)
      expect(await loadConsentFrom(otherShop.origin, token)).toMatch(/^failed: /)
    },
  )

  it(
    'Swagger UI at /docs and the HTML notice render under the CSP without a violation',
    { timeout: 60_000 },
    async () => {
      const page = await browser.newPage()
      const violations = await watchCsp(page)
      await page.goto(`${base}/docs`)
      await page.locator('.swagger-ui .info .title').waitFor()
      await page.locator('.opblock').first().waitFor()
      expect(await violations()).toEqual([])
      await page.goto(`${base}/v1/notice?format=html`)
      await page.locator('h1').first().waitFor()
      expect(await violations()).toEqual([])
      // The check itself works: an inline script is refused and reported.
      await page.evaluate(() => {
        const script = document.createElement('script')
        script.textContent = 'window.inlineRan = true'
        document.head.append(script)
      })
      await expect.poll(violations).toEqual([expect.stringMatching(/^script-src/)])
      await page.close()
    },
  )
})
