import fs from 'node:fs'
import path from 'node:path'
import { type Browser, chromium } from 'playwright-core'

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
