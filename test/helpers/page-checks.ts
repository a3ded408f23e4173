/**
 * What every browser suite checks on a page state, in one place: axe-core finds no serious or critical
 * violation, and nothing scrolls sideways. Also the two window sizes the suites walk, and the screenshots
 * (test-artifacts/ always; docs/screenshots/ for the README when CANDOR_UPDATE_SCREENSHOTS=1).
 */
import fs from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import type { Page } from 'playwright-core'
import { expect } from 'vitest'
import { artifactPath } from './browser.js'

const require = createRequire(import.meta.url)
const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8')

/** The sizes every flow is walked at: a desktop window and a 390x844 phone. */
export const VIEWPORTS = [
  { name: 'desktop', width: 1280, height: 900 },
  { name: 'phone', width: 390, height: 844 },
] as const
export type Viewport = (typeof VIEWPORTS)[number]
export const DESKTOP = VIEWPORTS[0]
export const PHONE = VIEWPORTS[1]

/** The impacts that fail a page: one rule for every suite. */
const FAILING_IMPACTS = ['serious', 'critical']

export interface AxeViolation {
  id: string
  impact: string
  help: string
  targets: string[]
}

/**
 * axe-core's serious and critical violations on the page as it is now. axe's source goes in through the
 * DevTools protocol (`evaluate`), since the pages' CSP rightly refuses an inline script.
 */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  const loaded = await page.evaluate<boolean>(`typeof window.axe !== 'undefined'`)
  if (!loaded) await page.evaluate<unknown>(`${AXE_SOURCE};void 0`)
  return page.evaluate<AxeViolation[]>(`
    window.axe.run(document, { resultTypes: ['violations'] }).then((result) =>
      result.violations
        .filter((v) => ${JSON.stringify(FAILING_IMPACTS)}.includes(v.impact))
        .map((v) => ({
          id: v.id,
          impact: v.impact,
          help: v.help,
          targets: v.nodes.slice(0, 5).map((n) => n.target.join(' ')),
        })),
    )`)
}

/** No serious or critical accessibility problem on the page as it is now. */
export async function expectAccessible(page: Page, state: string): Promise<void> {
  expect(await seriousViolations(page), `axe on ${state}`).toEqual([])
}

/** The document's scroll width beside the window's width: a wider document scrolls sideways. */
export async function pageWidths(page: Page): Promise<{ scroll: number; client: number }> {
  return page.evaluate<{ scroll: number; client: number }>(
    `({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth })`,
  )
}

/** The page does not scroll sideways. */
export async function expectNoSidewaysScroll(page: Page, state: string): Promise<void> {
  const { scroll, client } = await pageWidths(page)
  expect(scroll, `${state}: sideways scroll, ${scroll} > ${client}`).toBeLessThanOrEqual(client)
}

/** Whether the README's screenshots are rewritten by this run. */
const UPDATE_README_SHOTS = process.env.CANDOR_UPDATE_SCREENSHOTS === '1'
const README_SHOTS = path.resolve('docs/screenshots')

export interface ShotOptions {
  fullPage?: boolean
  /** Also the README's picture of this name (docs/screenshots/NAME.jpg), when CANDOR_UPDATE_SCREENSHOTS=1. */
  readme?: string
}

/**
 * A screenshot in test-artifacts/ (PNG), and, when asked for and enabled, the README's copy: a JPEG at
 * quality 70 and one pixel per CSS pixel, so the committed pictures stay small.
 */
export async function screenshot(page: Page, name: string, options: ShotOptions = {}) {
  const fullPage = options.fullPage ?? false
  await page.screenshot({ path: artifactPath(`${name}.png`), fullPage })
  if (options.readme !== undefined && UPDATE_README_SHOTS) {
    fs.mkdirSync(README_SHOTS, { recursive: true })
    await page.screenshot({
      path: path.join(README_SHOTS, `${options.readme}.jpg`),
      type: 'jpeg',
      quality: 70,
      scale: 'css',
      fullPage,
    })
  }
}

/**
 * The checks for one page state: axe-core (no serious or critical violation) and no sideways scroll, with a
 * screenshot of it when named.
 */
export async function checkState(
  page: Page,
  state: string,
  shot?: { name: string } & ShotOptions,
): Promise<void> {
  if (shot !== undefined) await screenshot(page, shot.name, shot)
  await expectNoSidewaysScroll(page, state)
  await expectAccessible(page, state)
}

/**
 * Uncaught errors in the page from now on (exceptions and rejected promises nobody handled), collected as
 * they happen: a flow ends by expecting the list empty.
 */
export function pageErrors(page: Page): string[] {
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(error.message))
  return errors
}
