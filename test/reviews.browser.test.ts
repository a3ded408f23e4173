import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { renderReportHtml } from '../src/modules/reviews/index.js'
import {
  BROWSER_AVAILABLE,
  artifactPath,
  launchBrowser,
  openConsolePanel,
} from './helpers/browser.js'
import { VIEWPORTS, checkState, pageErrors } from './helpers/page-checks.js'
import { type ShopServer, newShopper, startShop } from './helpers/shop.js'

/**
 * Issue 20 in a real browser, on the demo shop's data: the console's audit reports (findings, charts
 * drawn by Vega from the report's specs under the page's CSP, the change since the previous report, the
 * DPIA signed off by a privacy officer), the privacy center's "How suggestions work" page, and the
 * HTML report opened from a file with the network cut. axe-core finds no serious violation on any.
 */
describe.skipIf(!BROWSER_AVAILABLE)('audit reports in a real browser', () => {
  let browser: Browser
  let shop: ShopServer
  beforeAll(async () => {
    browser = await launchBrowser()
    shop = await startShop()
    // Two reports, so the console has a change to show.
    await shop.ctx.services.reviews.runAndStore()
    shop.ctx.clock.advance(60_000)
    await shop.ctx.services.reviews.runAndStore()
  }, 180_000)
  afterAll(async () => {
    await browser?.close()
    await shop?.ctx.close()
  })

  for (const viewport of VIEWPORTS)
    it(`${viewport.name}: the console shows the latest report with its charts and the change since the previous, and a privacy officer signs the DPIA off`, async () => {
      const violations: string[] = []
      const { page, context, panel, errors } = await openConsolePanel(
        browser,
        shop,
        viewport,
        'reports-panel',
        {
          key: shop.ctx.keys.privacy_officer,
          listen: (page) =>
            page.on('console', (m) => {
              if (/Content Security Policy|unsafe-eval/i.test(m.text())) violations.push(m.text())
            }),
        },
      )
      await panel.getByTestId('report').waitFor()
      const { latest } = await shop.ctx.services.reviews.latestReports()
      expect(await panel.getByTestId('report').getAttribute('data-report')).toBe(latest!.id)
      // Every chart drawn as SVG by Vega in the page, from the same specs.
      for (const chart of latest!.charts) {
        await panel.locator(`figure[data-chart="${chart.name}"] svg`).first().waitFor()
      }
      expect(await panel.getByTestId('changes').innerText()).toContain('Since the report of')
      const findings = await panel.locator('tr[data-check]').count()
      expect(findings).toBe(latest!.findings.length)

      await checkState(page, `console audit reports (${viewport.name})`, {
        name: `console-audits-${viewport.name}`,
        fullPage: true,
      })
      await panel.screenshot({ path: artifactPath(`console-audits-panel-${viewport.name}.png`) })
      if (viewport.name === 'desktop' && process.env.CANDOR_UPDATE_SCREENSHOTS === '1') {
        // The README's picture: the panel alone, small (JPEG at quality 70, one pixel per CSS pixel).
        await panel.screenshot({
          path: path.resolve('docs/screenshots/console-audits.jpg'),
          type: 'jpeg',
          quality: 70,
          scale: 'css',
        })
      }

      if (viewport.name === 'desktop') {
        const [download] = await Promise.all([
          page.waitForEvent('download'),
          panel.getByRole('button', { name: 'Download as HTML' }).click(),
        ])
        expect(download.suggestedFilename()).toMatch(/^candor-audit-\d{4}-\d{2}-\d{2}\.html$/)
        const saved = fs.readFileSync(await download.path(), 'utf8')
        expect(saved).toContain(latest!.id)
        expect(await page.getByTestId('dpia-signoff').innerText()).toMatch(/Not signed off|stale/)
        await panel.getByRole('button', { name: 'Sign off this assessment' }).click()
        await page.getByTestId('dpia-signoff').getByText('Signed off on').waitFor()
        const dpia = await shop.ctx.services.reviews.dpia()
        expect(dpia.signOff?.stale).toBe(false)
      }
      expect(errors).toEqual([])
      expect(violations).toEqual([])
      await context.close()
    })

  for (const viewport of VIEWPORTS)
    it(`${viewport.name}: "How suggestions work" in the privacy center, linked from the notice and the center`, async () => {
      const { page, context } = await newShopper(browser, {
        viewport: { width: viewport.width, height: viewport.height },
      })
      const errors = pageErrors(page)
      await page.goto(`${shop.base}/privacy`)
      await page.getByTestId('suggestions-link').getByRole('link').click()
      await page.getByTestId('card-levels').waitFor()
      expect(new URL(page.url()).pathname).toBe('/privacy/suggestions')
      expect(await page.locator('h1').innerText()).toBe('How suggestions work')
      expect(await page.getByTestId('card-levels').locator('tr[data-level]').count()).toBe(3)
      // The demo shop trained a model and ran two audits: both show.
      expect(await page.getByTestId('card-fairness').innerText()).toContain('Audit of')
      await checkState(page, `how suggestions work (${viewport.name})`, {
        name: `privacy-suggestions-${viewport.name}`,
        fullPage: true,
        ...(viewport.name === 'desktop' ? { readme: 'privacy-suggestions' } : {}),
      })
      await page.goto(`${shop.base}/v1/notice?format=html`)
      await page.getByRole('link', { name: 'How suggestions work' }).click()
      await page.getByTestId('card-levels').waitFor()
      expect(errors).toEqual([])
      await context.close()
    })

  it('the HTML report opens from a file with the network cut, charts and all', async () => {
    const { latest, changes } = await shop.ctx.services.reviews.latestReports()
    const html = await renderReportHtml({
      report: latest!,
      changes,
      dpia: await shop.ctx.services.reviews.dpia(),
      controller: shop.ctx.services.charter.controller.name,
    })
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'candor-report-')), 'report.html')
    fs.writeFileSync(file, html)
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } })
    await context.setOffline(true)
    const page = await context.newPage()
    const requests: string[] = []
    page.on('request', (r) => {
      if (!r.url().startsWith('file:')) requests.push(r.url())
    })
    await page.goto(`file://${file}`)
    expect(await page.locator('figure[data-chart] svg').count()).toBe(latest!.charts.length)
    expect(await page.locator('h1').innerText()).toContain('Audit report')
    expect(requests).toEqual([])
    await checkState(page, 'HTML report', { name: 'audit-report', fullPage: false })
    if (process.env.CANDOR_UPDATE_SCREENSHOTS === '1') {
      await page.screenshot({ path: path.resolve('docs/screenshots/audit-report.png') })
    }
    await context.close()
  })
})
