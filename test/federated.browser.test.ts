/**
 * Federated contributions from the demo shop (issue 22): a shopper at `on_device` who said yes to the
 * federated purpose browses two products, and their browser sends one contribution (the charter's
 * epsilon 4 a report, 4 a day: one report a day) that carries no item id, no reference, no cookie and
 * no key; a shopper at `on_device` without that yes sends none, nor asks for the terms.
 */
import type { Browser, Page, Request } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BROWSER_AVAILABLE, launchBrowser } from './helpers/browser.js'
import { PHONE, checkState } from './helpers/page-checks.js'
import { type ShopServer, evaluate, newShopper, startShop, visitorRef } from './helpers/shop.js'

const FLOW_MS = 120_000
const VIEWED = ['85123A', '22086', '84879']
const STORED_PAIRS = `new Promise((resolve, reject) => {
  const open = indexedDB.open('candor-on-device')
  open.onerror = () => reject(open.error)
  open.onsuccess = () => {
    const get = open.result.transaction('history').objectStore('history').get('contributed')
    get.onsuccess = () => resolve(get.result ?? [])
    get.onerror = () => reject(get.error)
  }
})`

interface Sent {
  path: string
  url: string
  body: string
  headers: Record<string, string>
}

function recordRequests(page: Page): Sent[] {
  const sent: Sent[] = []
  page.on('request', (request: Request) => {
    void request.allHeaders().then((headers) =>
      sent.push({
        path: new URL(request.url()).pathname,
        url: request.url(),
        body: request.postData() ?? '',
        headers,
      }),
    )
  })
  return sent
}

/** The banner at `on_device`: every purpose (`all`), or only suggestions from the history. */
async function chooseOnDevice(page: Page, base: string, all: boolean): Promise<void> {
  await page.goto(`${base}/p/${VIEWED[0]}`)
  const dialog = page.getByRole('dialog', { name: 'Your privacy choices' })
  await dialog.waitFor()
  await dialog.getByTestId('on-device').check()
  if (all) await dialog.getByRole('button', { name: 'Accept all' }).click()
  else {
    await dialog.locator('input[name="personalize.recommendations"]').check()
    expect(await dialog.locator('input[name="train_ai_system.federated"]').isChecked()).toBe(false)
    await dialog.getByRole('button', { name: 'Save my choices' }).click()
  }
  await dialog.waitFor({ state: 'detached' })
  await page.locator('.rec-block .candor-row').first().waitFor()
}

async function browse(page: Page, base: string): Promise<void> {
  for (const id of VIEWED) {
    await page.goto(`${base}/p/${id}`)
    await page.locator('.rec-block .candor-row').first().waitFor()
  }
}

describe.skipIf(!BROWSER_AVAILABLE)('federated contributions from the demo shop', () => {
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
    "with the federated yes, sends one day's report with no item id, reference, cookie or key",
    async () => {
      const { context, page } = await newShopper(browser, {
        viewport: { width: 1280, height: 900 },
      })
      const sent = recordRequests(page)
      await chooseOnDevice(page, shop.base, true)
      const ref = await visitorRef(page)
      const answered = page.waitForResponse(
        (r) => new URL(r.url()).pathname === '/v1/federated/contributions',
      )
      await browse(page, shop.base)
      expect((await answered).status()).toBe(202)
      // More pages, more pairs: today's budget (one report) is spent, so nothing more goes.
      await browse(page, shop.base)
      await page.waitForTimeout(500)

      const contributions = sent.filter((r) => r.path === '/v1/federated/contributions')
      expect(contributions).toHaveLength(1)
      const [request] = contributions
      const batch = JSON.parse(request!.body) as Record<string, unknown>
      expect(Object.keys(batch).sort()).toEqual(['epsilon', 'reports', 'sketch'])
      expect(batch.epsilon).toBe(4)
      expect(batch.reports).toHaveLength(1)
      for (const id of [...VIEWED, ref])
        expect(`${request!.url} ${request!.body}`).not.toContain(id)
      const names = Object.keys(request!.headers).map((h) => h.toLowerCase())
      expect(names).not.toContain('cookie')
      expect(names).not.toContain('authorization')
      expect(JSON.stringify(request!.headers)).not.toContain(ref)
      // The terms were read without identity too, once a page at most.
      for (const terms of sent.filter((r) => r.path === '/v1/federated/terms')) {
        expect(Object.keys(terms.headers)).not.toContain('cookie')
        expect(Object.keys(terms.headers)).not.toContain('authorization')
      }
      // The browser remembers which pair went (so it is never sent again); the server kept totals only.
      const remembered = await evaluate<string[]>(page, STORED_PAIRS)
      expect(remembered).toHaveLength(1)
      const ledger = await evaluate<string>(page, "localStorage.getItem('candor.federated.ledger')")
      expect(JSON.parse(ledger)).toMatchObject({ spent: 4 })

      // The privacy center says, beside the choice, what is sent and what the epsilons mean.
      await page.goto(`${shop.base}/privacy`)
      const note = page.getByTestId('federated-note')
      await note.waitFor()
      const said = await note.innerText()
      expect(said).toContain('Each report has an epsilon of 4 (per contribution)')
      expect(said).toContain('an epsilon of at most 4 (per day)')
      await checkState(page, 'privacy center, federated note (desktop)', {
        name: 'privacy-federated-desktop',
      })
      await page.setViewportSize({ width: PHONE.width, height: PHONE.height })
      await checkState(page, 'privacy center, federated note (phone)', {
        name: 'privacy-federated-phone',
      })
      await context.close()
    },
    FLOW_MS,
  )

  it(
    'without the federated yes, sends no contribution and asks for no terms',
    async () => {
      const { context, page } = await newShopper(browser)
      const sent = recordRequests(page)
      await chooseOnDevice(page, shop.base, false)
      await browse(page, shop.base)
      await page.waitForTimeout(1000)
      expect(
        await evaluate<string>(page, "document.querySelector('.candor-row').dataset.level"),
      ).toBe('on_device')
      expect(sent.filter((r) => r.path.startsWith('/v1/federated/'))).toEqual([])
      expect(await evaluate<string[]>(page, STORED_PAIRS)).toEqual([])
      await context.close()
    },
    FLOW_MS,
  )
})
