import fs from 'node:fs'
import { inflateRawSync } from 'node:zlib'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BROWSER_AVAILABLE, artifactPath, launchBrowser } from './helpers/browser.js'
import { VIEWPORTS, checkState, pageErrors } from './helpers/page-checks.js'
import { STEP_MS, type ShopServer, evaluate, startShop, visitorRef } from './helpers/shop.js'

const FLOW_MS = 90_000

/** Whether the element with this id has focus and lies wholly inside the viewport. */
async function focusedInView(page: Page, id: string) {
  return evaluate<{ focused: boolean; inView: boolean }>(
    page,
    `(() => {
      const el = document.getElementById(${JSON.stringify(id)})
      const r = el.getBoundingClientRect()
      return {
        focused: document.activeElement === el,
        inView: r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight && r.right <= innerWidth,
      }
    })()`,
  )
}

/** The first entry of a ZIP archive (the export writes export.json first), inflated. */
function firstZipEntry(bytes: Buffer): { name: string; text: string } {
  expect(bytes.readUInt32LE(0)).toBe(0x04034b50)
  const nameLength = bytes.readUInt16LE(26)
  const extra = bytes.readUInt16LE(28)
  const start = 30 + nameLength + extra
  return {
    name: bytes.subarray(30, 30 + nameLength).toString(),
    text: inflateRawSync(bytes.subarray(start, start + bytes.readUInt32LE(18))).toString(),
  }
}

describe.skipIf(!BROWSER_AVAILABLE)('the privacy center in a real browser', () => {
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

  for (const viewport of VIEWPORTS) {
    it(
      `${viewport.name} ${viewport.width}x${viewport.height}: the code field by its button with focus, tries left, a named download, and a clean erased state`,
      async () => {
        const context = await browser.newContext({
          viewport: { width: viewport.width, height: viewport.height },
          acceptDownloads: true,
        })
        context.setDefaultTimeout(STEP_MS)
        const page = await context.newPage()
        const errors = pageErrors(page)
        page.on('console', (message) => {
          // A failed fetch is logged as "Failed to load resource"; `failed` below lists those by path.
          if (message.type() === 'error' && !message.text().startsWith('Failed to load resource'))
            errors.push(`console: ${message.text()}`)
        })
        const failed: string[] = []
        page.on('response', (response) => {
          if (response.status() >= 400)
            failed.push(`${response.status()} ${new URL(response.url()).pathname}`)
        })
        const check = (state: string) => checkState(page, `${viewport.name} ${state}`)

        // A visitor who said yes to everything, with some history, and the personal level.
        await page.goto(`${shop.base}/`)
        await page.getByRole('dialog').getByRole('button', { name: 'Accept all' }).click()
        const ref = await visitorRef(page)
        await page.goto(`${shop.base}/privacy`)
        await page.locator('#consents table').waitFor()
        await page.locator('#level-personal').check()
        await page.getByTestId('effective-level').getByText('personal').waitFor()
        await check('overview')

        // Download: the code field opens right under the button, focused and in view.
        await page.getByRole('button', { name: 'Download my data (.zip)' }).click()
        await page.locator('#code').waitFor()
        expect(await focusedInView(page, 'code')).toEqual({ focused: true, inView: true })
        expect(await page.getByTestId('tries-left').innerText()).toBe('5 tries left.')
        const buttonBox = (await page
          .getByRole('button', { name: 'Download my data (.zip)' })
          .boundingBox())!
        const fieldBox = (await page.locator('#code').boundingBox())!
        expect(fieldBox.y - (buttonBox.y + buttonBox.height)).toBeLessThan(200)
        await check('code')
        if (viewport.name === 'desktop')
          await page.screenshot({ path: artifactPath('privacy-code.png') })

        // A wrong code: the answer says so, and how many tries are left.
        await page.locator('#code').fill('000000')
        await page.getByRole('button', { name: 'Confirm' }).click()
        await page.getByRole('alert').waitFor()
        await expect.poll(() => page.getByTestId('tries-left').innerText()).toBe('4 tries left.')
        expect(await focusedInView(page, 'code')).toEqual({ focused: true, inView: true })
        await check('wrong code')
        if (viewport.name === 'phone')
          await page.screenshot({ path: artifactPath('privacy-phone.png') })

        await page.getByRole('button', { name: 'Open my inbox (demo)' }).click()
        await expect.poll(() => page.locator('#code').inputValue()).toMatch(/^\d{6}$/)
        const [download] = await Promise.all([
          page.waitForEvent('download'),
          page.getByRole('button', { name: 'Confirm' }).click(),
        ])
        expect(download.suggestedFilename()).toMatch(/^candor-my-data-\d{4}-\d{2}-\d{2}\.zip$/)
        const file = artifactPath(`privacy-export-${viewport.name}.zip`)
        await download.saveAs(file)
        const first = firstZipEntry(fs.readFileSync(file))
        expect(first.name).toBe('export.json')
        expect(JSON.parse(first.text)).toMatchObject({ format: 'candor-subject-export/1' })
        expect(first.text).toContain('personalize.recommendations')
        await page.getByText(/Your data is downloaded as candor-my-data-/).waitFor()
        // The answer shows where the code form was, and takes the focus the form had.
        expect(await focusedInView(page, 'holds-note')).toEqual({ focused: true, inView: true })
        await check('downloaded')

        // Erasure: confirm, then the code field in the erase section, focused and in view.
        await page.getByRole('button', { name: 'Erase my data…' }).click()
        await page.getByRole('button', { name: 'Yes, erase my data' }).click()
        await page.locator('#erase #code').waitFor()
        expect(await focusedInView(page, 'code')).toEqual({ focused: true, inView: true })
        await check('erase code')
        const failedBefore = failed.length
        await page.getByRole('button', { name: 'Open my inbox (demo)' }).click()
        await expect.poll(() => page.locator('#code').inputValue()).toMatch(/^\d{6}$/)
        await page.getByRole('button', { name: 'Confirm' }).click()
        await page.getByRole('heading', { name: 'Your data is erased' }).waitFor()
        await page.waitForTimeout(1500) // room for any stray call with the old token

        // Nothing of the old shopper is shown, nothing fails, and the browser has forgotten them.
        const text = await page.locator('main').innerText()
        for (const gone of [
          'In effect now',
          'History',
          'Your choices',
          'What we hold',
          'Signed in',
        ])
          expect(text, gone).not.toContain(gone)
        expect(await page.locator('#consents, #level, #requests, table, #code').count()).toBe(0)
        expect(failed.slice(failedBefore)).toEqual([])
        // The one failed call of the whole visit is the wrong code, on purpose.
        expect(failed).toHaveLength(1)
        expect(failed[0]).toMatch(/^400 \/v1\/rights-requests\/rr_[a-z0-9]+\/verify$/)
        expect(errors).toEqual([])
        expect(await evaluate(page, `localStorage.getItem('candor-demo.visitor')`)).toBeNull()
        expect(await evaluate(page, `sessionStorage.getItem('candor.session')`)).toBeNull()
        await check('erased')
        if (viewport.name === 'desktop')
          await page.screenshot({ path: artifactPath('privacy-erased.png'), fullPage: true })
        expect(await shop.ctx.services.identity.findSubjectId(ref)).toBeUndefined()

        await context.close()
      },
      FLOW_MS,
    )
  }
})
