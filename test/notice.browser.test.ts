import fs from 'node:fs'
import path from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BROWSER_AVAILABLE, artifactPath, launchBrowser } from './helpers/browser.js'
import { PHONE, checkState } from './helpers/page-checks.js'
import { type TestContext, createTestContext } from './helpers/test-context.js'

/** Words a privacy notice should not need. */
const LEGALESE =
  /\b(hereinafter|pursuant|notwithstanding|whereas|heretofore|aforementioned|thereof|herein)\b/i

async function listen(ctx: TestContext): Promise<string> {
  await ctx.app.listen({ port: 0, host: '127.0.0.1' })
  const address = ctx.app.server.address()
  if (address === null || typeof address === 'string') throw new Error('no address')
  return `http://127.0.0.1:${address.port}`
}

describe.skipIf(!BROWSER_AVAILABLE)('the privacy notice in a real browser', () => {
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

  it('reads as plain language, shows its version, and is kept as a screenshot', async () => {
    const page = await browser.newPage({ viewport: { width: 1024, height: 900 } })
    const response = await page.goto(`${base}/v1/notice`)
    expect(response?.status()).toBe(200)
    expect(response?.headers()['content-type']).toContain('text/html')
    await expect(page.locator('h1').first().textContent()).resolves.toBeTruthy()
    const text = await page.locator('body').innerText()
    expect(text).toContain('Demo Giftware Ltd')
    expect(text).not.toMatch(LEGALESE)
    const sentences = text
      .split(/(?<=[.!?])\s+|\n+/)
      .map((s) => s.trim())
      .filter((s) => s.split(/\s+/).length >= 3)
    const words = sentences.map((s) => s.split(/\s+/).length)
    const average = words.reduce((a, b) => a + b, 0) / words.length
    expect(sentences.length).toBeGreaterThan(10)
    expect(average).toBeLessThan(18)
    expect(Math.max(...words)).toBeLessThanOrEqual(40)
    const version = (await ctx.request({ method: 'GET', url: '/v1/notice' })).json()
      .version as string
    expect(text).toContain(version.slice(0, 12))
    await checkState(page, 'notice', { name: 'notice', fullPage: true })
    expect(fs.statSync(artifactPath('notice.png')).size).toBeGreaterThan(10_000)
    await page.setViewportSize({ width: PHONE.width, height: PHONE.height })
    await checkState(page, 'notice on a phone', { name: 'notice-phone' })
    await page.close()
  })

  it('shows a new version when the charter changes', async () => {
    const file = path.join(ctx.database.dir, 'changed.charter.yaml')
    fs.writeFileSync(
      file,
      fs
        .readFileSync('candor.charter.yaml', 'utf8')
        .replace('retentionDays: 395', 'retentionDays: 365'),
    )
    const other = await createTestContext('sqlite', { env: { CANDOR_CHARTER_FILE: file } })
    try {
      const otherBase = await listen(other)
      const page = await browser.newPage()
      await page.goto(`${base}/v1/notice`)
      const before = await page.locator('body').innerText()
      await page.goto(`${otherBase}/v1/notice`)
      const after = await page.locator('body').innerText()
      const oldVersion = (await ctx.request({ method: 'GET', url: '/v1/notice' })).json()
        .version as string
      const newVersion = (await other.request({ method: 'GET', url: '/v1/notice' })).json()
        .version as string
      expect(newVersion).not.toBe(oldVersion)
      expect(before).toContain(oldVersion.slice(0, 12))
      expect(after).toContain(newVersion.slice(0, 12))
      await page.screenshot({ path: artifactPath('notice-changed.png'), fullPage: true })
      await page.close()
    } finally {
      await other.close()
    }
  })
})
