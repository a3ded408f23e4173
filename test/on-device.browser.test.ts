/**
 * A shopper at `on_device` in the demo shop: they browse and buy, the network log shows no request that
 * carries their item ids or history (only the model, the catalog and the pages), their suggestions become
 * personal, and erasing clears the browser's IndexedDB.
 */
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BROWSER_AVAILABLE, launchBrowser } from './helpers/browser.js'
import { type ShopServer, attributes, evaluate, newShopper, startShop } from './helpers/shop.js'

const FLOW_MS = 120_000
/** The events the SDK keeps in this browser (`on-device-store.ts`), read straight from IndexedDB. */
const STORED_EVENTS = `new Promise((resolve, reject) => {
  const open = indexedDB.open('candor-on-device')
  open.onerror = () => reject(open.error)
  open.onsuccess = () => {
    const db = open.result
    if (!db.objectStoreNames.contains('history')) return resolve([])
    const get = db.transaction('history').objectStore('history').get('events')
    get.onsuccess = () => resolve(get.result ?? [])
    get.onerror = () => reject(get.error)
  }
})`

describe.skipIf(!BROWSER_AVAILABLE)('the demo shop at the on_device level', () => {
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

  it(
    'keeps the history in the browser, sends none of it, suggests from it, and erases it',
    async () => {
      const { context, page } = await newShopper(browser)
      const sent: { method: string; path: string; url: string; body: string }[] = []
      page.on('request', (request) => {
        const url = new URL(request.url())
        sent.push({
          method: request.method(),
          path: url.pathname,
          url: request.url(),
          body: request.postData() ?? '',
        })
      })
      // A first page view waits in memory for the banner's answer: it must not be sent either.
      await page.goto(`${shop.base}/p/22086`)
      const dialog = page.getByRole('dialog', { name: 'Your privacy choices' })
      await dialog.waitFor()
      await dialog.getByTestId('on-device').check()
      await dialog.getByRole('button', { name: 'Accept all' }).click()
      await dialog.waitFor({ state: 'detached' })
      await page.locator('.rec-block .candor-row').first().waitFor()
      const before = sent.length

      // Browse two products, put one in the basket and buy it.
      const viewed = ['85123A', '22086']
      for (const id of viewed) {
        await page.goto(`${shop.base}/p/${id}`)
        await page.locator('.rec-block .candor-row').first().waitFor()
      }
      await page
        .getByRole('button', { name: /^Add to basket: / })
        .first()
        .click()
      await page.goto(`${shop.base}/basket`)
      await page.getByRole('button', { name: /order/i }).click()
      await page.waitForTimeout(500)
      const kept = await evaluate<{ item: string; type: string }[]>(page, STORED_EVENTS)
      expect(kept.map((e) => e.item)).toEqual(expect.arrayContaining(viewed))
      expect(kept.some((e) => e.type === 'purchase')).toBe(true)

      // Suggestions on the home page are ranked here, from that history.
      await page.goto(`${shop.base}/`)
      const row = page.locator('.candor-row').first()
      await row.waitFor()
      expect(await row.getAttribute('data-level')).toBe('on_device')
      const items = await attributes(row.locator('.candor-item'), 'data-item')
      expect(items.length).toBeGreaterThan(0)
      const reasons = await row.locator('.candor-item').allTextContents()
      expect(reasons.join(' ')).toMatch(/bought before|looked at this|bought together/i)

      // No request at all sends events or feedback; none after the choice carries an item id of theirs.
      expect(sent.filter((r) => r.path === '/v1/events' || r.path === '/v1/feedback')).toEqual([])
      const after = sent.slice(before)
      const ids = [...new Set(kept.map((e) => e.item))]
      for (const request of after) {
        expect(request.path, request.url).not.toBe('/v1/events')
        expect(request.path, request.url).not.toBe('/v1/feedback')
        if (request.path.startsWith('/p/')) continue // the product pages themselves (the shop's own)
        for (const id of ids) {
          expect(`${request.url} ${request.body}`, request.path).not.toContain(id)
        }
      }
      expect(after.map((r) => r.path)).toContain('/v1/models/current')
      expect(after.filter((r) => r.path === '/v1/recommendations')).toEqual([])

      // Erase: the browser's store is empty.
      await evaluate(page, 'window.candor.eraseOnDevice()')
      expect(await evaluate<unknown[]>(page, STORED_EVENTS)).toEqual([])
      await context.close()
    },
    FLOW_MS,
  )
})
