import type { Browser, BrowserContext, Locator, Page } from 'playwright-core'
import { createManualClock } from '../../src/lib/clock.js'
import { seedDemo } from '../../src/modules/demo/index.js'
import { type TestContext, createTestContext } from './test-context.js'

/** Every wait in the browser suites is bounded by this. */
export const STEP_MS = 10_000

export interface ShopServer {
  ctx: TestContext
  base: string
}

/** A seeded demo shop on SQLite, listening on a loopback port, with a clock at the real time. */
export async function startShop(): Promise<ShopServer> {
  const ctx = await createTestContext('sqlite', { clock: createManualClock(new Date()) })
  await seedDemo(ctx.services)
  await ctx.app.listen({ port: 0, host: '127.0.0.1' })
  const address = ctx.app.server.address()
  if (address === null || typeof address === 'string') throw new Error('no address')
  return { ctx, base: `http://127.0.0.1:${address.port}` }
}

export async function newShopper(
  browser: Browser,
  options: { gpc?: boolean; viewport?: { width: number; height: number } } = {},
): Promise<{ context: BrowserContext; page: Page; requests: string[] }> {
  const context = await browser.newContext({
    viewport: options.viewport ?? { width: 1200, height: 900 },
    acceptDownloads: true,
    // A browser with Global Privacy Control on sends Sec-GPC on every request and exposes the flag.
    ...(options.gpc === true ? { extraHTTPHeaders: { 'Sec-GPC': '1' } } : {}),
  })
  context.setDefaultTimeout(STEP_MS)
  if (options.gpc === true) {
    await context.addInitScript({
      content:
        "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true })",
    })
  }
  const page = await context.newPage()
  const requests: string[] = []
  page.on('request', (request) =>
    requests.push(`${request.method()} ${new URL(request.url()).pathname}`),
  )
  return { context, page, requests }
}

/** The visitor reference the demo shop gave this browser. */
export async function visitorRef(page: Page): Promise<string> {
  const ref = await page.evaluate<string | null>("localStorage.getItem('candor-demo.visitor')")
  if (ref === null) throw new Error('no visitor reference yet')
  return ref
}

/** One attribute of every element a locator finds (in the browser, without DOM types here). */
export async function attributes(locator: Locator, name: string): Promise<string[]> {
  const values: string[] = []
  const count = await locator.count()
  for (let i = 0; i < count; i++) values.push((await locator.nth(i).getAttribute(name)) ?? '')
  return values
}

/** Evaluates an expression in the page (a string, since the tests compile without the DOM library). */
export async function evaluate<T>(page: Page, expression: string): Promise<T> {
  return page.evaluate<T>(expression)
}
