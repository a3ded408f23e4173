import fs from 'node:fs'
import type { Browser, BrowserContext } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DAY_MS } from '../src/lib/clock.js'
import { ensureDemoStaffKey } from '../src/modules/demo/index.js'
import {
  BROWSER_AVAILABLE,
  artifactPath,
  launchBrowser,
  openConsolePanel,
} from './helpers/browser.js'
import { STEP_MS, type ShopServer, attributes, newShopper, startShop } from './helpers/shop.js'
import { insertTrainingRun, tunedReport } from './helpers/training-runs.js'
import { PERSONAL } from './helpers/shoppers.js'
import {
  DESKTOP,
  PHONE,
  VIEWPORTS,
  checkState,
  expectAccessible,
  pageErrors,
  pageWidths,
} from './helpers/page-checks.js'

interface ConsentRate {
  day: string
  purpose: string
  granted: number
  withdrawn: number
  refused: number
}

describe.skipIf(!BROWSER_AVAILABLE)('the staff console in a real browser', () => {
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

  // The admin's dashboard at both sizes. Other tests write to the same database, so every assertion is
  // about what this run itself added (its own request, refs and choices), never about totals.
  for (const viewport of VIEWPORTS)
    it(`${viewport.name}: logs in with the demo staff key and shows the request queue, overdue ones marked, and a chart`, async () => {
      const { ctx } = shop
      const run = viewport.name
      // One request the shopper filed and never confirmed (still open), then 40 days pass: it is overdue.
      const subjectId = await ctx.services.identity.ensureSubjectId(`console-${run}-late`)
      const token = ctx.services.auth.issueShopperToken(subjectId).token
      const open = await ctx.request({
        method: 'POST',
        url: '/v1/rights-requests',
        as: { token },
        payload: { type: 'erasure', subject: `console-${run}-late` },
      })
      expect(open.statusCode).toBe(201)
      const overdueId = open.json<{ id: string }>().id
      ctx.clock.advance(40 * DAY_MS)
      // Choices today by this run's own shoppers: two yes, then one of them withdrawn, and one refusal;
      // the chart's figures for today grow by exactly these.
      const todayOf = async (): Promise<ConsentRate> => {
        const rates = await ctx.request({ method: 'GET', url: '/v1/consent-rates', as: 'admin' })
        const day = ctx.clock.now().toISOString().slice(0, 10)
        const found = rates
          .json<{ days: ConsentRate[] }>()
          .days.find((d) => d.purpose === PERSONAL && d.day === day)
        return found ?? { day, purpose: PERSONAL, granted: 0, withdrawn: 0, refused: 0 }
      }
      const before = await todayOf()
      const version = (await ctx.request({ method: 'GET', url: '/v1/notice' })).json().version
      for (const [ref, decision] of [
        [`rates-${run}-1`, 'granted'],
        [`rates-${run}-2`, 'granted'],
        [`rates-${run}-1`, 'denied'],
        [`rates-${run}-3`, 'denied'],
      ] as const) {
        const r = await ctx.request({
          method: 'PUT',
          url: `/v1/subjects/${ref}/consents/${PERSONAL}`,
          as: 'storefront',
          payload: { decision, method: 'banner', noticeVersion: version },
        })
        expect(r.statusCode, r.body).toBe(200)
      }
      const after = await todayOf()
      expect({
        granted: after.granted - before.granted,
        withdrawn: after.withdrawn - before.withdrawn,
        refused: after.refused - before.refused,
      }).toEqual({ granted: 2, withdrawn: 1, refused: 1 })
      const done = await ctx.request({
        method: 'POST',
        url: '/v1/rights-requests',
        as: 'privacy_officer',
        payload: { type: 'access', subject: `console-${run}-access` },
      })
      expect(done.statusCode).toBe(201)
      // Answers served to visitors: counted, per level and placement, in the online figures.
      for (let k = 0; k < 10; k++) {
        const answer = await ctx.request({
          method: 'GET',
          url: '/v1/recommendations?limit=3&placement=home',
          as: 'storefront',
        })
        expect(answer.statusCode).toBe(200)
      }

      const key = fs
        .readFileSync(await ensureDemoStaffKey(ctx.services, ctx.database.dir), 'utf8')
        .trim()
      const { page, context } = await newShopper(browser, { viewport })
      const errors = pageErrors(page)
      await page.goto(`${shop.base}/console`)
      await checkState(page, `console login (${run})`, { name: `console-login-${run}` })
      await page.getByLabel('API key').fill('ck_wrong.wrong')
      await page.getByRole('button', { name: 'Log in' }).click()
      await page.getByRole('alert').waitFor()
      await checkState(page, `console login refused (${run})`)
      await page.getByLabel('API key').fill(key)
      await page.getByRole('button', { name: 'Log in' }).click()

      const queue = page.getByTestId('queue')
      await queue.waitFor({ timeout: STEP_MS })
      const late = queue.locator(`tr[data-request="${overdueId}"]`)
      await late.waitFor()
      expect(await late.getAttribute('class')).toContain('overdue')
      expect(await late.innerText()).toContain('Overdue')
      // The access request was done at once: in the queue, not overdue.
      const doneRow = queue.locator(`tr[data-request="${done.json<{ id: string }>().id}"]`)
      if ((await doneRow.count()) > 0)
        expect(await doneRow.getAttribute('class')).not.toContain('overdue')
      // The demo key is an admin's: its badge says so, and every panel is there.
      expect(await page.getByTestId('role').innerText()).toContain('Admin')
      // Consent rates from the ledger: the personalization chart's bars carry the API's figures.
      const chart = page.locator(`figure.rate-chart[data-purpose="${PERSONAL}"] svg`)
      await chart.waitFor()
      const shown = await todayOf()
      const bars = chart.locator(`g[data-day="${shown.day}"]`)
      for (const kind of ['granted', 'withdrawn', 'refused'] as const)
        expect(await bars.locator(`g[data-kind=${kind}] text`).textContent()).toBe(
          String(shown[kind]),
        )
      // `ok` covers the hash chain and the Merkle tree (with its signed checkpoints): both named.
      expect(await page.getByTestId('chain').innerText()).toContain(
        'Hash chain and Merkle tree verified',
      )
      expect(await page.getByTestId('notice-version').innerText()).toMatch(/^[0-9a-f]{16}$/)
      await page.getByRole('heading', { name: 'Recommendation quality' }).waitFor()
      const online = page.getByTestId('online')
      await online.waitFor()
      const offHome = online.locator('tbody tr').filter({ hasText: /^off · home/ })
      const answers = Number((await offHome.first().innerText()).split(/\s+/)[3])
      expect(answers).toBeGreaterThanOrEqual(10)
      await checkState(page, `console, admin (${run})`, {
        name: `console-${run}`,
        ...(viewport === DESKTOP ? { readme: 'console' } : {}),
      })
      expect(errors).toEqual([])
      await context.close()
    }, 90_000)

  it("shows the latest training run's report and a chart of validation Recall@20 with a point per run", async () => {
    const { ctx } = shop
    const runsNow = async () => {
      const r = await ctx.request({
        method: 'GET',
        url: '/v1/recommendations/quality',
        as: 'analyst',
      })
      expect(r.statusCode, r.body).toBe(200)
      type Figures = Record<string, { recall20?: number | null } | undefined>
      const runs = r.json<{ runs: { quality: { figures?: Figures } }[] }>().runs
      // Per level, the runs with a Recall@20 to draw.
      const measured = (level: string) =>
        runs.filter((run) => typeof run.quality.figures?.[level]?.recall20 === 'number').length
      return { runs: runs.length, measured }
    }
    const logIn = async (context?: BrowserContext) => {
      const opened = await openConsolePanel(
        browser,
        shop,
        context === undefined ? DESKTOP : PHONE,
        'quality',
        context === undefined ? {} : { context },
      )
      await opened.panel.getByTestId('tuning').waitFor()
      return opened
    }

    // Two training runs through the API, then one as runs were stored before the tuning report: `{}`.
    for (let k = 0; k < 2; k++) {
      ctx.clock.advance(60_000)
      const r = await ctx.request({ method: 'POST', url: '/v1/admin/train', as: 'admin' })
      expect(r.statusCode, r.body).toBe(200)
    }
    ctx.clock.advance(60_000)
    await insertTrainingRun(ctx, {})
    const { page, context } = await logIn()
    const section = page.getByTestId('quality')
    expect(await section.getByTestId('tuning').innerText()).toMatch(
      /^Not tuned: this run stored no/,
    )
    expect(await section.getByTestId('validation-figures').count()).toBe(0)
    await section.getByText('No validation figures for this run.').waitFor()
    const chart = section.getByTestId('recall-chart')
    let expected = await runsNow()
    expect(expected.runs).toBeGreaterThanOrEqual(3)
    expect(await chart.locator('g[data-run]').count()).toBe(expected.runs)

    // Two tuned runs, a day apart: the section shows the latest one's report, the chart both.
    ctx.clock.advance(DAY_MS)
    await insertTrainingRun(ctx, tunedReport(ctx.clock.now(), 0.31))
    ctx.clock.advance(DAY_MS)
    const latest = await insertTrainingRun(ctx, tunedReport(ctx.clock.now(), 0.34))
    await page.reload()
    await section.getByTestId('validation-figures').waitFor()
    expect(await section.getByTestId('tuning').innerText()).toBe(
      "Tuned: parameters chosen among 24 sets on the shop's own held-out period.",
    )
    const rows = section.getByTestId('validation-figures').locator('tbody tr')
    const cells = async (i: number) => (await rows.nth(i).innerText()).split(/\s+/).join(' ')
    expect(await rows.count()).toBe(5)
    expect(await cells(0)).toBe('Personal 0.340 0.320 0.131')
    expect(await cells(1)).toBe('Session 0.170 0.160 0.092')
    expect(await cells(2)).toBe('Off 0.104 0.088 0.054')
    expect(await cells(3)).toBe('TopPop (trivial) 0.097 0.087 0.051')
    expect(await cells(4)).toBe('RepeatFreq (trivial) 0.335 0.343 0.051')
    const heldOut = await section.getByTestId('held-out').innerText()
    expect(heldOut).toContain('(14 days, 120 shoppers; candidates trained on the 4,321 events')
    // The parameters are folded away until asked for.
    const params = section.locator('details.params')
    expect(await params.locator('table').isVisible()).toBe(false)
    await params.locator('summary').click()
    await params.getByRole('row', { name: 'personal.otherWeight' }).waitFor()
    expect(await params.getByRole('row', { name: 'personal.otherWeight' }).innerText()).toMatch(
      /personal\.otherWeight\s+0\.5$/,
    )

    // One mark per run, one point per level for each run with figures, in the runs' order.
    expected = await runsNow()
    expect(expected.measured('personal')).toBeGreaterThanOrEqual(2)
    expect(await chart.locator('g[data-run]').count()).toBe(expected.runs)
    for (const level of ['personal', 'session', 'off'])
      expect(await chart.locator(`circle[data-level="${level}"]`).count(), level).toBe(
        expected.measured(level),
      )
    expect((await attributes(chart.locator('g[data-run]'), 'data-run')).at(-1)).toBe(latest.id)
    const heights = (await attributes(chart.locator('circle[data-level="personal"]'), 'cy')).map(
      Number,
    )
    // 0.34 after 0.31: the last point is higher up (a smaller y).
    expect(heights.at(-1)!).toBeLessThan(heights.at(-2)!)
    // The figures are in text too, not only in the picture.
    expect(await chart.getAttribute('aria-labelledby')).toBe('recall-title recall-desc')
    expect(await chart.locator('desc').textContent()).toContain(
      'personal 0.340, session 0.170, off 0.104',
    )
    await section.screenshot({ path: artifactPath('console-quality.png') })
    await context.close()

    // On a phone: nothing wider than the screen, and the chart as wide as its panel.
    const phone = await browser.newContext({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
    })
    phone.setDefaultTimeout(STEP_MS)
    const { page: small } = await logIn(phone)
    await small.getByTestId('recall-chart').waitFor()
    expect(
      await small.evaluate<number>('document.documentElement.scrollWidth'),
    ).toBeLessThanOrEqual(390)
    const panel = "document.querySelector('[data-testid=quality]')"
    expect(
      await small.evaluate<boolean>(`${panel}.scrollWidth <= ${panel}.clientWidth`),
      'the section fits without scrolling sideways',
    ).toBe(true)
    const box = await small.getByTestId('recall-chart').boundingBox()
    expect(box!.width).toBeGreaterThan(250)
    expect(box!.x + box!.width).toBeLessThanOrEqual(390)
    await small
      .getByTestId('quality')
      .screenshot({ path: artifactPath('console-quality-phone.png') })
    await phone.close()
  }, 60_000)
  /** Files a self-service erasure request for `ref`: it waits for the shopper's code, so staff may act. */
  async function waitingRequest(ref: string): Promise<{ id: string; receivedAt: string }> {
    const { ctx } = shop
    const subjectId = await ctx.services.identity.ensureSubjectId(ref)
    const { token } = ctx.services.auth.issueShopperToken(subjectId)
    const filed = await ctx.request({
      method: 'POST',
      url: '/v1/rights-requests',
      as: { token },
      payload: { type: 'erasure', subject: ref, jurisdiction: 'UK' },
    })
    expect(filed.statusCode, filed.body).toBe(201)
    expect(filed.json().status).toBe('received')
    return filed.json()
  }

  async function officerKey(): Promise<{ key: string; keyId: string }> {
    const { key, info } = await shop.ctx.services.auth.createApiKey(
      'privacy_officer',
      'console browser test',
      { kind: 'cli', command: 'test' },
    )
    return { key, keyId: info.id }
  }

  /** The console as `key` sees it, once its role badge shows. */
  const logIn = (
    key: string,
    viewport: { width: number; height: number },
    context?: BrowserContext,
  ) =>
    openConsolePanel(browser, shop, viewport, 'role', {
      key,
      ...(context === undefined ? {} : { context }),
    })

  for (const viewport of VIEWPORTS) {
    const size = { width: viewport.width, height: viewport.height }
    const at = (state: string) => `${viewport.name} ${state}`
    it(`${viewport.name} ${viewport.width}x${viewport.height}: a privacy officer extends and denies requests, and filters and pages the audit log`, async () => {
      const { ctx } = shop
      const toExtend = await waitingRequest(`console-extend-${viewport.name}`)
      const toDeny = await waitingRequest(`console-deny-${viewport.name}`)
      // Enough consent entries for more than one page of the audit log.
      const version = (await ctx.request({ method: 'GET', url: '/v1/notice' })).json().version
      for (let k = 0; k < 25; k++) {
        const r = await ctx.request({
          method: 'PUT',
          url: `/v1/subjects/console-consent-${viewport.name}-${k}/consents/${PERSONAL}`,
          as: 'storefront',
          payload: {
            decision: k % 4 === 0 ? 'denied' : 'granted',
            method: 'banner',
            noticeVersion: version,
          },
        })
        expect(r.statusCode, r.body).toBe(200)
      }
      const officer = await officerKey()
      const { page, context, errors } = await logIn(officer.key, size)
      expect(await page.getByTestId('role').innerText()).toContain('Privacy officer')
      expect(await page.getByTestId('role').getAttribute('data-role')).toBe('privacy_officer')

      // Extend one request by one further month, with the reason.
      const queue = page.getByTestId('queue')
      await queue.waitFor()
      await page.getByTestId('audit').waitFor()
      await checkState(page, at('console, privacy officer'), {
        name: `console-officer-start-${viewport.name}`,
      })
      await page.getByRole('button', { name: `Extend or deny ${toExtend.id}` }).click()
      const act = page.getByTestId('act')
      await act.waitFor()
      await checkState(page, at('decision form'))
      await act.getByLabel('By how long').selectOption('1')
      await act
        .getByLabel('Why more time is needed (the shopper is told)')
        .fill('Records span three warehouses; gathering them takes longer')
      await act.getByRole('button', { name: 'Extend deadline' }).click()
      await page.getByTestId('rights-status').getByText(`Extended: ${toExtend.id}`).waitFor()
      const extended = (
        await ctx.request({ method: 'GET', url: `/v1/rights-requests/${toExtend.id}`, as: 'admin' })
      ).json()
      const due = new Date(toExtend.receivedAt)
      due.setUTCMonth(due.getUTCMonth() + 2)
      expect(extended).toMatchObject({ dueAt: due.toISOString(), status: 'received' })
      expect(extended.extensionReason).toContain('three warehouses')
      await queue.locator(`tr[data-request="${toExtend.id}"]`).getByText('(extended)').waitFor()
      await checkState(page, at('extended'))

      // Deny the other, with a ground and the shopper's explanation.
      await page.getByRole('button', { name: `Extend or deny ${toDeny.id}` }).click()
      await act.getByLabel('Ground').selectOption('excessive')
      await act
        .getByLabel('Explanation for the shopper (not written to the audit log)')
        .fill('The same request was answered in full two days ago')
      await page
        .getByTestId('rights-panel')
        .screenshot({ path: artifactPath(`console-rights-${viewport.name}.png`) })
      await checkState(page, at('deny form filled'))
      await act.getByRole('button', { name: 'Deny request' }).click()
      await page.getByTestId('rights-status').getByText(`Denied: ${toDeny.id}`).waitFor()
      await queue.locator(`tr[data-request="${toDeny.id}"][data-status="denied"]`).waitFor()
      await checkState(page, at('denied'))
      expect(
        (
          await ctx.request({ method: 'GET', url: `/v1/rights-requests/${toDeny.id}`, as: 'admin' })
        ).json(),
      ).toMatchObject({ status: 'denied', result: { ground: 'excessive' } })
      // A denied request offers nothing more to decide.
      expect(await page.getByRole('button', { name: `Extend or deny ${toDeny.id}` }).count()).toBe(
        0,
      )

      // The audit log: consent entries, 20 a page; older, then newer again.
      const panel = page.getByTestId('audit-panel')
      const rows = panel.getByTestId('audit').locator('tbody tr')
      await panel.getByLabel('Kind').selectOption('consent')
      await panel.getByRole('button', { name: 'Filter' }).click()
      await panel.locator('tbody tr[data-seq]').first().waitFor()
      const whats = async () => await rows.locator('td[data-label="What"]').allInnerTexts()
      const seqs = async () => (await attributes(rows, 'data-seq')).map(Number)
      await expect
        .poll(async () => (await whats()).every((w) => w.startsWith('consent.')))
        .toBe(true)
      await expect.poll(async () => (await seqs()).length).toBe(20)
      await checkState(page, at('audit log, consent entries'))
      const first = await seqs()
      await panel.getByRole('button', { name: 'Older →' }).click()
      await expect.poll(async () => panel.getByTestId('audit-page').innerText()).toBe('Page 2')
      await expect.poll(async () => Math.max(...(await seqs()))).toBeLessThan(Math.min(...first))
      expect((await whats()).every((w) => w.startsWith('consent.'))).toBe(true)
      await checkState(page, at('audit log, page 2'))
      await panel.getByRole('button', { name: '← Newer' }).click()
      await expect.poll(async () => (await seqs())[0]).toBe(first[0])
      // This officer's own rights decisions: exactly the two just taken.
      await panel.getByLabel('Kind').selectOption('rights')
      await panel.getByLabel('Actor').fill(`key:${officer.keyId}`)
      await panel.getByRole('button', { name: 'Filter' }).click()
      await expect.poll(whats).toEqual(['rights.erasure.denied', 'rights.erasure.extended'])
      expect(await panel.getByRole('button', { name: 'Older →' }).isDisabled()).toBe(true)

      await checkState(page, at('audit log, own decisions'))

      // With a decision form open again: the same checks, and a picture of the whole page.
      await page.getByRole('button', { name: `Extend or deny ${toExtend.id}` }).click()
      await act.waitFor()
      await checkState(page, at('decision form, extended request'), {
        name: `console-officer-${viewport.name}`,
        fullPage: true,
      })
      expect(errors).toEqual([])
      await context.close()
    }, 120_000)

    it(`${viewport.name}: shows a storefront key its role and no panel it may not use`, async () => {
      const { page, context, requests } = await logIn(shop.ctx.keys.storefront, size)
      expect(await page.getByTestId('role').innerText()).toContain('Storefront')
      await page.getByTestId('no-panels').waitFor()
      await page.getByTestId('notice-version').waitFor()
      const headings = await page.getByRole('heading', { level: 2 }).allInnerTexts()
      expect(headings).toEqual(['Charter in force'])
      expect(await page.getByText('may not see this').count()).toBe(0)
      // It did not even ask for what its role may not read.
      for (const route of [
        '/v1/audit',
        '/v1/rights-requests',
        '/v1/consent-rates',
        '/v1/recommendations/quality',
      ])
        expect(requests.filter((r) => r.endsWith(` ${route}`) || r.includes(` ${route}?`))).toEqual(
          [],
        )
      await checkState(page, at('console, storefront key'), {
        name: `console-storefront-${viewport.name}`,
        fullPage: true,
      })
      await context.close()
    }, 60_000)
  }

  it('fits a phone (390x844): no sideways scroll on the page or in any panel', async () => {
    const toExtend = await waitingRequest('console-phone-1')
    const officer = await officerKey()
    const phone = await browser.newContext({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
    })
    phone.setDefaultTimeout(STEP_MS)
    const { page } = await logIn(officer.key, PHONE, phone)
    await page.getByTestId('queue').waitFor()
    await page.getByTestId('audit').waitFor()
    await page.locator('figure.rate-chart svg').first().waitFor()
    await page.getByTestId('quality').getByTestId('tuning').waitFor()
    await page.getByRole('button', { name: `Extend or deny ${toExtend.id}` }).click()
    await page.getByTestId('act').waitFor()
    const widths = await pageWidths(page)
    expect(widths.scroll).toBeLessThanOrEqual(widths.client)
    expect(widths.client).toBe(390)
    const overflowing = await page.evaluate<string[]>(
      `[...document.querySelectorAll('.panel')].filter((p) => p.scrollWidth > p.clientWidth).map((p) => p.getAttribute('aria-labelledby'))`,
    )
    expect(overflowing).toEqual([])
    await expectAccessible(page, 'phone, decision form')
    // Another officer extends it meanwhile: the server's refusal is shown where this one acted.
    const behind = await shop.ctx.request({
      method: 'POST',
      url: `/v1/rights-requests/${toExtend.id}/extend`,
      as: 'admin',
      payload: { reason: 'Extended from another desk first' },
    })
    expect(behind.statusCode, behind.body).toBe(200)
    const act = page.getByTestId('act')
    await act.getByLabel(/Why more time is needed/).fill('Needs records from the warehouse')
    await act.getByRole('button', { name: 'Extend deadline' }).click()
    expect(await act.getByRole('alert').innerText()).toContain('already extended')
    // The queue is read again, so the form now says what the request is.
    await act.getByText('Already extended once').waitFor()
    await page.screenshot({ path: artifactPath('console-phone.png') })
    await page
      .getByTestId('rates-panel')
      .screenshot({ path: artifactPath('console-phone-rates.png') })
    await page.screenshot({ path: artifactPath('console-phone-full.png'), fullPage: true })
    await phone.close()
  }, 60_000)
})
