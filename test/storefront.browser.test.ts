import fs from 'node:fs'
import { inflateRawSync } from 'node:zlib'
import type { Browser, Locator, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BROWSER_AVAILABLE, artifactPath, launchBrowser } from './helpers/browser.js'
import { VIEWPORTS, type Viewport, checkState, pageErrors } from './helpers/page-checks.js'
import {
  STEP_MS,
  type ShopServer,
  attributes,
  evaluate,
  newShopper,
  startShop,
  visitorRef,
} from './helpers/shop.js'

const FLOW_MS = 90_000

async function consentDecisions(shop: ShopServer, ref: string) {
  const answer = await shop.ctx.request({
    method: 'GET',
    url: `/v1/subjects/${ref}/consents`,
    as: 'admin',
  })
  return Object.fromEntries(
    (answer.json().decisions as { purpose: string; allowed: boolean; reason: string }[]).map(
      (d) => [d.purpose, d],
    ),
  )
}

async function storedEvents(shop: ShopServer, ref: string) {
  const subjectId = await shop.ctx.services.identity.findSubjectId(ref)
  return subjectId === undefined ? [] : shop.ctx.services.events.listSubjectEvents(subjectId)
}

async function rowItems(page: Page, placement: string): Promise<string[]> {
  const row = page.locator(`.rec-block[data-placement="${placement}"] .candor-row`)
  await row.waitFor()
  return attributes(row.locator('.candor-item'), 'data-item')
}

/** The page's row has come, and no inline question came with it (after a banner choice there is none). */
async function expectNoPrompt(page: Page, state: string) {
  await page.locator('.rec-block .candor-row').waitFor()
  await page.waitForTimeout(300) // a question would come with the row's answer
  expect(await page.locator('.prompt').count(), `${state}: an inline question`).toBe(0)
}

/** The banner's choices are wholly inside the first screen, without scrolling. */
async function expectChoicesInFirstView(dialog: Locator, viewport: Viewport) {
  for (const name of ['Accept all', 'Reject all', 'Save my choices']) {
    const box = await dialog.getByRole('button', { name }).boundingBox()
    expect(box, name).not.toBeNull()
    expect(box!.y, name).toBeGreaterThanOrEqual(0)
    expect(box!.y + box!.height, name).toBeLessThanOrEqual(viewport.height)
    expect(box!.x + box!.width, name).toBeLessThanOrEqual(viewport.width)
  }
}

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

describe.skipIf(!BROWSER_AVAILABLE)('the five shopper flows in a real browser', () => {
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
    const size = { width: viewport.width, height: viewport.height }
    /** A page state's name, and its screenshot's, at this size. */
    const at = (state: string) => `${viewport.name} ${state}`
    const shot = (name: string, fullPage = false) => ({
      name: `${name}-${viewport.name}`,
      fullPage,
    })
    describe(`${viewport.name} ${viewport.width}x${viewport.height}`, () => {
      it(
        '(1) a shopper who rejects everything gets non-personal rows and no question, and nothing of theirs is sent or stored',
        async () => {
          const { context, page, requests } = await newShopper(browser, { viewport: size })
          const errors = pageErrors(page)
          await page.goto(`${shop.base}/`)
          const dialog = page.getByRole('dialog', { name: 'Your privacy choices' })
          await dialog.waitFor()
          expect(await dialog.getAttribute('aria-modal')).toBe('true')
          // Nothing is ticked in advance, and Accept and Reject look the same.
          expect(await dialog.locator('input[type=checkbox]:checked').count()).toBe(0)
          const reject = dialog.getByRole('button', { name: 'Reject all' })
          const accept = dialog.getByRole('button', { name: 'Accept all' })
          const r = await reject.boundingBox()
          const a = await accept.boundingBox()
          expect(Math.abs(r!.width - a!.width)).toBeLessThan(2)
          expect(Math.abs(r!.height - a!.height)).toBeLessThan(2)
          expect(await reject.getAttribute('class')).toBe(await accept.getAttribute('class'))
          await expectChoicesInFirstView(dialog, viewport)
          // What needs no choice is said in the charter's words of what it brings, not its title twice.
          const banner = await dialog.innerText()
          expect(banner).toContain('Needed to run the shop, so always on: The shop works.')
          expect(banner).not.toContain('needs no choice')
          await checkState(page, at('banner'), shot('shop-banner'))
          await reject.click()
          await dialog.waitFor({ state: 'detached' })
          const ref = await visitorRef(page)

          await expectNoPrompt(page, at('home after Reject all'))
          expect((await rowItems(page, 'home')).length).toBeGreaterThan(0)
          expect(await page.locator('.candor-row').getAttribute('data-level')).toBe('off')
          await checkState(page, at('home, rejected'), shot('shop-home-rejected', true))
          await page.getByRole('link', { name: 'Kitchen and dining' }).click()
          await rowItems(page, 'category')
          await expectNoPrompt(page, at('category after Reject all'))
          await checkState(page, at('category, rejected'), shot('shop-category', true))
          await page.locator('.grid .card a').first().click()
          await rowItems(page, 'product')
          expect(await page.locator('.candor-row').getAttribute('data-level')).toBe('off')
          await expectNoPrompt(page, at('product after Reject all'))
          await page.getByRole('button', { name: 'Add to basket', exact: true }).click()
          await page.getByRole('status').filter({ hasText: 'is in your basket' }).waitFor()
          await checkState(page, at('product, rejected'), shot('shop-product-rejected', true))
          await page.waitForTimeout(1500) // past the SDK's batching interval
          await page.goto(`${shop.base}/`) // pagehide: the SDK would flush now

          expect(requests.filter((r) => r.includes('/v1/events'))).toEqual([])
          expect(await storedEvents(shop, ref)).toEqual([])
          const decisions = await consentDecisions(shop, ref)
          expect(decisions['personalize.recommendations']!.allowed).toBe(false)
          expect(decisions['personalize.session']!.allowed).toBe(false)
          expect(errors).toEqual([])
          await context.close()
        },
        FLOW_MS,
      )

      let personalContext: Awaited<ReturnType<typeof newShopper>> | undefined
      it(
        '(2) a shopper who accepts sees personal rows with reasons and no question, and "Not this" removes an item',
        async () => {
          personalContext = await newShopper(browser, { viewport: size })
          const { page } = personalContext
          const errors = pageErrors(page)
          await page.goto(`${shop.base}/`)
          await page.getByRole('dialog').getByRole('button', { name: 'Accept all' }).click()
          await page.getByRole('dialog').waitFor({ state: 'detached' })
          await expectNoPrompt(page, at('home after Accept all'))
          const ref = await visitorRef(page)
          // Browse a few products: the SDK sends their views once consent is given.
          for (const item of ['85123A', '22423', '47566']) {
            await page.goto(`${shop.base}/p/${item}`)
            await rowItems(page, 'product')
            await page.getByRole('button', { name: 'Add to basket', exact: true }).click()
          }
          await page.getByRole('status').filter({ hasText: 'is in your basket' }).waitFor()
          await checkState(page, at('product, accepted'), shot('shop-product-accepted', true))
          await page.goto(`${shop.base}/c/lights`)
          await expectNoPrompt(page, at('category after Accept all'))
          await expect
            .poll(async () => (await storedEvents(shop, ref)).length, { timeout: STEP_MS })
            .toBeGreaterThanOrEqual(6)

          await page.goto(`${shop.base}/`)
          const visitorRow = page.locator('.candor-row')
          await rowItems(page, 'home')
          expect(await visitorRow.getAttribute('data-level')).toBe('personal')

          // A shopper the model knows (a demo shopper who said yes before) gets reasons from their own history.
          // Choosing a shopper starts their demo session and then reloads the page: wait for that
          // reload, or the row read next is still the visitor's (also at level personal).
          const reloaded = page.waitForEvent('load', { timeout: STEP_MS })
          await page.getByLabel('Browsing as').selectOption('demo-shopper-1')
          await reloaded
          expect(await visitorRef(page)).toBe('demo-shopper-1')
          await expect
            .poll(() => page.locator('.candor-row').getAttribute('data-level'))
            .toBe('personal')
          const items = await rowItems(page, 'home')
          const row = page.locator('.candor-row')
          const kinds = await attributes(row.locator('.candor-item'), 'data-kind')
          expect(
            kinds.some((k) => k !== 'popular' && k !== 'new' && k !== 'trending'),
            kinds.join(),
          ).toBe(true)
          const first = row.locator('.candor-item').first()
          expect((await first.locator('.candor-sentence').innerText()).length).toBeGreaterThan(10)
          await checkState(page, at('home, personal'), {
            name: `shop-home-personal-${viewport.name}`,
            readme: `shop-${viewport.name}`,
          })
          await first.getByText('Why?').click()
          expect(await first.locator('.candor-evidence li').count()).toBeGreaterThan(0)
          await checkState(page, at('home, Why? open'), shot('shop-home-why', true))

          const removed = items[0]!
          await first.getByRole('button', { name: /^Not this/ }).click()
          await expect.poll(() => rowItems(page, 'home')).not.toContain(removed)
          // It stays gone on the next page, because Candor kept the feedback.
          await expect
            .poll(
              async () => {
                await page.reload()
                return rowItems(page, 'home')
              },
              { timeout: STEP_MS },
            )
            .not.toContain(removed)
          await checkState(page, at('home after Not this'), shot('shop-home-not-this', true))

          // Following a suggestion: the product page's view cites the answer it was picked from.
          const homeRow = page.locator('.rec-block[data-placement="home"] .candor-row')
          const picked = (await rowItems(page, 'home'))[0]!
          const recommId = await homeRow.getAttribute('data-recomm-id')
          expect(recommId).toMatch(/^rec_/)
          await homeRow.locator(`.candor-item[data-item="${picked}"] .candor-title a`).click()
          await page.waitForURL(`**/p/${encodeURIComponent(picked)}`)
          await rowItems(page, 'product')
          await page.goto(`${shop.base}/`) // pagehide: the SDK flushes the view
          await rowItems(page, 'home')
          await expect
            .poll(
              async () =>
                (await storedEvents(shop, 'demo-shopper-1')).some(
                  (e) => e.type === 'view' && e.item === picked && e.recommId === recommId,
                ),
              { timeout: STEP_MS },
            )
            .toBe(true)
          expect(errors).toEqual([])
          // Back to the visitor from the start of this flow, for the privacy center.
          await evaluate(
            page,
            `localStorage.setItem('candor-demo.visitor', ${JSON.stringify(ref)})`,
          )
        },
        FLOW_MS,
      )

      it(
        '(3) the privacy center downloads the export and erases the data: the code field takes the focus, and the end is a clean erased state',
        async () => {
          expect(personalContext).toBeDefined()
          const { page, context } = personalContext!
          const errors = pageErrors(page)
          const failed: string[] = []
          page.on('response', (response) => {
            if (response.status() >= 400)
              failed.push(`${response.status()} ${new URL(response.url()).pathname}`)
          })
          const ref = await visitorRef(page)
          expect((await storedEvents(shop, ref)).length).toBeGreaterThan(0)
          await page.goto(`${shop.base}/`)
          await page.getByRole('button', { name: 'Privacy center' }).click()
          await page.waitForURL(`${shop.base}/privacy`)
          await page.getByRole('heading', { name: 'Your choices' }).waitFor()
          await page.locator('#consents table').waitFor()
          // Where the shopper is, in words: the demo's visitors send no place, so the charter's `default`.
          expect(await page.locator('#holds').innerText()).toContain(
            'Where you are, for the rules that apply: not known, so the rules for “Everywhere else” apply.',
          )
          await checkState(page, at('privacy center'), {
            name: `privacy-center-${viewport.name}`,
            ...(viewport.name === 'desktop' ? { readme: 'privacy-center' } : {}),
          })

          await page.getByRole('button', { name: 'Download my data (.zip)' }).click()
          await page.locator('#code').waitFor()
          expect(await focusedInView(page, 'code')).toEqual({ focused: true, inView: true })
          await checkState(page, at('download code'), shot('privacy-download-code'))
          await page.getByRole('button', { name: 'Open my inbox (demo)' }).click()
          await expect.poll(() => page.locator('#code').inputValue()).toMatch(/^\d{6}$/)
          const [download] = await Promise.all([
            page.waitForEvent('download'),
            page.getByRole('button', { name: 'Confirm' }).click(),
          ])
          const file = artifactPath(`privacy-export-flow-${viewport.name}.zip`)
          await download.saveAs(file)
          // The ZIP's first entry is the whole export as JSON (deflated).
          const zip = fs.readFileSync(file)
          const nameLength = zip.readUInt16LE(26)
          const start = 30 + nameLength + zip.readUInt16LE(28)
          const exported = inflateRawSync(
            zip.subarray(start, start + zip.readUInt32LE(18)),
          ).toString()
          expect(exported).toContain('85123A')
          expect(exported).toContain('personalize.recommendations')
          await page.getByText(/Your data is downloaded as/).waitFor()
          await checkState(page, at('downloaded'))

          await page.getByRole('button', { name: 'Erase my data…' }).click()
          await checkState(page, at('erase confirm'), shot('privacy-erase-confirm'))
          await page.getByRole('button', { name: 'Yes, erase my data' }).click()
          await page.locator('#erase #code').waitFor()
          expect(await focusedInView(page, 'code')).toEqual({ focused: true, inView: true })
          await checkState(page, at('erase code'), shot('privacy-erase-code'))
          await page.getByRole('button', { name: 'Open my inbox (demo)' }).click()
          await expect.poll(() => page.locator('#code').inputValue()).toMatch(/^\d{6}$/)
          await page.getByRole('button', { name: 'Confirm' }).click()
          await page.getByRole('heading', { name: 'Your data is erased' }).waitFor()
          await page.waitForTimeout(1000) // room for any stray call with the old token
          // A consistent erased state: nothing of the shopper shown, no call failed, nothing uncaught.
          const text = await page.locator('main').innerText()
          for (const gone of ['In effect now', 'History', 'Your choices', 'Signed in'])
            expect(text, gone).not.toContain(gone)
          expect(await page.locator('#consents, #level, table, #code').count()).toBe(0)
          expect(failed).toEqual([])
          expect(errors).toEqual([])
          expect(await evaluate(page, `localStorage.getItem('candor-demo.visitor')`)).toBeNull()
          await checkState(page, at('erased'), shot('privacy-erased', true))

          expect(await shop.ctx.services.identity.findSubjectId(ref)).toBeUndefined()
          const after = await shop.ctx.request({
            method: 'GET',
            url: `/v1/subjects/${ref}/consents`,
            as: 'admin',
          })
          expect(after.json().history).toEqual([])
          await context.close()
        },
        FLOW_MS,
      )

      it(
        '(4) with Global Privacy Control on, the banner says so and advertising on other sites stays off',
        async () => {
          const { page, context } = await newShopper(browser, { gpc: true, viewport: size })
          const errors = pageErrors(page)
          await page.goto(`${shop.base}/`)
          const dialog = page.getByRole('dialog')
          const note = dialog.getByTestId('gpc-note')
          await note.waitFor()
          expect(await note.innerText()).toContain('Global Privacy Control')
          expect(await note.innerText()).toContain('Our adverts on other websites')
          const thirdParty = dialog.locator('input[name="marketing.advertising.third_party"]')
          expect(await thirdParty.isDisabled()).toBe(true)
          expect(await thirdParty.isChecked()).toBe(false)
          await expectChoicesInFirstView(dialog, viewport)
          await checkState(page, at('banner with GPC'), shot('shop-banner-gpc'))
          await dialog.getByRole('button', { name: 'Accept all' }).click()
          await dialog.waitFor({ state: 'detached' })
          await expectNoPrompt(page, at('home after Accept all with GPC'))
          const decisions = await consentDecisions(shop, await visitorRef(page))
          expect(decisions['marketing.advertising.third_party']).toMatchObject({
            allowed: false,
            reason: 'gpc',
          })
          expect(decisions['personalize.recommendations']!.allowed).toBe(true)
          expect(errors).toEqual([])
          await context.close()
        },
        FLOW_MS,
      )

      it(
        '(5) consent works with the keyboard alone, and focus stays in the dialog',
        async () => {
          const { page, context } = await newShopper(browser, { viewport: size })
          const errors = pageErrors(page)
          await page.goto(`${shop.base}/`)
          await page.getByRole('dialog').waitFor()
          const inDialog = () =>
            evaluate<boolean>(page, `document.activeElement?.closest('[role="dialog"]') != null`)
          expect(await inDialog()).toBe(true)
          for (let i = 0; i < 20; i++) {
            await page.keyboard.press('Tab')
            expect(await inDialog()).toBe(true)
          }
          for (let i = 0; i < 5; i++) {
            await page.keyboard.press('Shift+Tab')
            expect(await inDialog()).toBe(true)
          }
          // Tab to the first purpose's box, tick it with Space, then Tab on to "Save my choices" and press Enter.
          const focusName = () =>
            evaluate<string>(
              page,
              `document.activeElement?.name || document.activeElement?.textContent || ''`,
            )
          for (let i = 0; i < 30 && (await focusName()) !== 'personalize.session'; i++)
            await page.keyboard.press('Tab')
          expect(await focusName()).toBe('personalize.session')
          await page.keyboard.press('Space')
          for (let i = 0; i < 30 && (await focusName()) !== 'Save my choices'; i++)
            await page.keyboard.press('Tab')
          await checkState(page, at('banner, keyboard'), shot('shop-banner-keyboard'))
          await page.keyboard.press('Enter')
          await page.getByRole('dialog').waitFor({ state: 'detached' })
          await expectNoPrompt(page, at('home after Save my choices'))
          const decisions = await consentDecisions(shop, await visitorRef(page))
          expect(decisions['personalize.session']).toMatchObject({
            allowed: true,
            reason: 'explicit_grant',
          })
          expect(decisions['personalize.recommendations']).toMatchObject({
            allowed: false,
            reason: 'explicit_denial',
          })
          await checkState(page, at('home, this visit only'))
          expect(errors).toEqual([])
          await context.close()
        },
        FLOW_MS,
      )
    })
  }
})
