import fs from 'node:fs'
import path from 'node:path'
import {
  type Browser,
  type BrowserContext,
  type Locator,
  type Page,
  chromium,
} from 'playwright-core'
import { ensureDemoStaffKey } from '../../src/modules/demo/index.js'
import { pageErrors } from './page-checks.js'
import { STEP_MS, newShopper } from './shop.js'
import type { TestContext } from './test-context.js'

/** Debian's Chromium; never a downloaded browser build. */
export const CHROMIUM_PATH = process.env.CANDOR_CHROMIUM ?? '/usr/bin/chromium'
const IN_CI = process.env.CI === 'true' || process.env.CI === '1'

/** Whether browser suites run here: always in CI (where a missing browser fails), else when installed. */
export const BROWSER_AVAILABLE = IN_CI || fs.existsSync(CHROMIUM_PATH)

if (!BROWSER_AVAILABLE) {
  process.stderr.write(
    `note: ${CHROMIUM_PATH} not found, so browser suites are skipped (apt-get install chromium)\n`,
  )
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  })
}

/** Screenshots land in test-artifacts/ (ignored by git) so a person can look at every page after a run. */
export function artifactPath(name: string): string {
  const dir = path.resolve('test-artifacts')
  fs.mkdirSync(dir, { recursive: true })
  return path.join(dir, name)
}

async function pageIn(context: BrowserContext) {
  const page = await context.newPage()
  const requests: string[] = []
  page.on('request', (request) =>
    requests.push(`${request.method()} ${new URL(request.url()).pathname}`),
  )
  return { page, context, requests }
}

/** A console panel opened in a fresh browser context, logged in with a staff key. */
export interface ConsolePanel {
  context: BrowserContext
  page: Page
  /** The panel's element (by its test id), there once the console showed it. */
  panel: Locator
  /** Uncaught errors in the page since it opened (a flow ends by expecting none). */
  errors: string[]
  /** Every request the page made, as `METHOD /path`. */
  requests: string[]
}

/**
 * Opens the staff console in a new context at `viewport`, logs in with `key` (default: the demo staff
 * key, an admin's, as `data/demo-staff.key` holds it) and waits for the element with `testId`: the login
 * every console suite repeats, in one place (a suite that tests the login itself does it by hand).
 */
export async function openConsolePanel(
  browser: Browser,
  shop: { ctx: TestContext; base: string },
  viewport: { width: number; height: number },
  testId: string,
  options: {
    key?: string
    /** Called with the page before the console opens (to listen to it from the start). */
    listen?: (page: Page) => void
    /** A context of the caller's (a phone emulated with touch, say): the page opens in it instead. */
    context?: BrowserContext
  } = {},
): Promise<ConsolePanel> {
  const key =
    options.key ??
    fs
      .readFileSync(await ensureDemoStaffKey(shop.ctx.services, shop.ctx.database.dir), 'utf8')
      .trim()
  const { page, context, requests } =
    options.context === undefined
      ? await newShopper(browser, { viewport: { width: viewport.width, height: viewport.height } })
      : await pageIn(options.context)
  const errors = pageErrors(page)
  options.listen?.(page)
  await page.goto(`${shop.base}/console`)
  await page.getByLabel('API key').fill(key)
  await page.getByRole('button', { name: 'Log in' }).click()
  const panel = page.getByTestId(testId)
  await panel.waitFor({ timeout: STEP_MS })
  return { context, page, panel, errors, requests }
}
