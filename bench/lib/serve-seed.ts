/**
 * The seeding side of `npm run bench:serve`: the shop it loads, put in through the real API in process
 * (catalog, shoppers' histories and consent, anonymous visits), and the request mixes: the repeated
 * shoppers of the usual load, and (`--distinct`) a list in which every request is another shopper.
 */
import fs from 'node:fs'
import path from 'node:path'
import type { FastifyInstance } from 'fastify'
import { pino } from 'pino'
import { buildApp } from '../../src/app.js'
import { openRuntime } from '../../src/main/runtime.js'
import { loadUci, rowsByCustomer, shiftToEndBefore } from './data.js'

export type Auth = { authorization: string }
type Uci = ReturnType<typeof loadUci>
/** A customer's reference in the shop and their UCI row numbers. */
type Customer = [ref: string, rows: number[]]

/** The repeated mix's shoppers: the customers with the most rows. */
const CUSTOMERS = 300
/** `--distinct`: every UCI customer is seeded this many times over (as different shoppers). */
const DISTINCT_COPIES = 2
/** The last purchases each shopper's history holds. */
const HISTORY = 1000

/** What seeding leaves for the load: the storefront key, the request mixes and a sample answer's file. */
export interface Seeded {
  auth: Auth
  urls: string[]
  levels: Map<string, number>
  bodyFile: string
  /** `--distinct`: one request per shopper, in a fixed pseudo-random order (empty without). */
  distinctUrls: string[]
}

export interface SeedOptions {
  env: Record<string, string | undefined>
  data: string
  dir: string
  distinct: boolean
  log: (message: string) => void
}

/** Customers by UCI customer id with their row numbers, most rows first. */
/**
 * Seeds through the real API, in process, then closes. The repeated shoppers are the `CUSTOMERS`
 * customers with the most rows (`uci-<id>`); with `distinct`, every customer is seeded
 * `DISTINCT_COPIES` times more (`uci-<id>-d<k>`), and the catalog holds what all of them bought.
 */
export async function seed(options: SeedOptions): Promise<Seeded> {
  const { log } = options
  log('seeding from UCI Online Retail ...')
  const uci = loadUci(options.data)
  const shift = shiftToEndBefore(uci, Date.now())
  const all = rowsByCustomer(uci)
  const customers: Customer[] = all.slice(0, CUSTOMERS).map(([c, rows]) => [`uci-${c}`, rows])
  const distinct: Customer[] = options.distinct
    ? Array.from({ length: DISTINCT_COPIES }, (_, k) =>
        all.map(([c, rows]): Customer => [`uci-${c}-d${k}`, rows]),
      ).flat()
    : []
  const runtime = await openRuntime(options.env, { logDestination: 2, logLevel: 'warn' })
  const { app } = await buildApp({ services: runtime.services, logger: pino({ level: 'silent' }) })
  const key = (
    await runtime.services.auth.createApiKey('storefront', 'bench', {
      kind: 'cli',
      command: 'bench',
    })
  ).key
  const auth = { authorization: `Bearer ${key}` }
  const seeded = [...customers, ...distinct]
  const items = [...new Set(seeded.flatMap(([, rows]) => rows.map((k) => uci.items[k]!)))]
  await seedCatalog(app, auth, items)
  const version = (await app.inject({ method: 'GET', url: '/v1/notice' })).json().version as string
  const started = performance.now()
  await seedHistories(app, auth, version, uci, shift, seeded)
  if (distinct.length > 0)
    log(
      `seeded ${seeded.length} shoppers' histories in ${((performance.now() - started) / 1000).toFixed(0)} s`,
    )
  const sessions = await seedSessions(app, auth, version, items)
  const urls = requestMix(customers, sessions)
  const sample = (await app.inject({ method: 'GET', url: urls[0]!, headers: auth })).body
  const levels = new Map<string, number>()
  for (const url of urls) {
    const level = (await app.inject({ method: 'GET', url, headers: auth })).json().level as string
    levels.set(level, (levels.get(level) ?? 0) + 1)
  }
  if (process.env.CANDOR_BENCH_PROFILE === '1') await timeInProcess(app, auth, urls, log)
  await app.close()
  await runtime.close()
  const bodyFile = path.join(options.dir, 'sample.json')
  fs.writeFileSync(bodyFile, sample)
  log(
    `seeded ${items.length} items, ${customers.length} customers, ${sessions.length} sessions; request mix ${JSON.stringify(Object.fromEntries(levels))}${distinct.length > 0 ? `; ${distinct.length} distinct shoppers` : ''}`,
  )
  const distinctUrls = shuffled(
    distinct.map(([ref]) => `/v1/recommendations?subject=${ref}&limit=10`),
  )
  return { auth, urls, levels, bodyFile, distinctUrls }
}

/** The items the customers bought, in batches of 1000. */
async function seedCatalog(app: FastifyInstance, auth: Auth, items: string[]): Promise<void> {
  for (let i = 0; i < items.length; i += 1000) {
    await app.inject({
      method: 'PUT',
      url: '/v1/items',
      headers: auth,
      payload: {
        items: items
          .slice(i, i + 1000)
          .map((id) => ({ id, title: `Item ${id}`, category: ['Gifts'] })),
      },
    })
  }
}

/** Each customer's purchases (the last 1000), shifted to end now; two in three with consent granted. */
async function seedHistories(
  app: FastifyInstance,
  auth: Auth,
  version: string,
  uci: Uci,
  shift: number,
  customers: Customer[],
): Promise<void> {
  for (const [c, [ref, rows]] of customers.entries()) {
    if (c % 3 !== 2) {
      await app.inject({
        method: 'PUT',
        url: `/v1/subjects/${ref}/consents/personalize.recommendations`,
        headers: auth,
        payload: { decision: 'granted', noticeVersion: version, jurisdiction: 'UK' },
      })
    }
    const events = rows.slice(-HISTORY).map((k, n) => ({
      id: `${ref}-${n}`,
      type: 'purchase',
      subject: ref,
      item: uci.items[k]!,
      timestamp: new Date(uci.times[k]! + shift).toISOString(),
    }))
    await app.inject({ method: 'POST', url: '/v1/events', headers: auth, payload: { events } })
  }
}

/** 50 anonymous visits with session consent and three views each; returns their ids. */
async function seedSessions(
  app: FastifyInstance,
  auth: Auth,
  version: string,
  items: string[],
): Promise<string[]> {
  const sessions = Array.from({ length: 50 }, (_, s) => `bench-visit-${String(s).padStart(4, '0')}`)
  for (const session of sessions) {
    await app.inject({
      method: 'PUT',
      url: `/v1/sessions/${session}/consents/personalize.session`,
      headers: auth,
      payload: { decision: 'granted', noticeVersion: version, jurisdiction: 'UK' },
    })
    await app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: auth,
      payload: {
        events: items.slice(0, 3).map((item, n) => ({
          id: `${session}-${n}`,
          type: 'view',
          session,
          item,
          timestamp: new Date().toISOString(),
        })),
      },
    })
  }
  return sessions
}

/** `urls` in a fixed pseudo-random order. */
function shuffled(urls: string[]): string[] {
  let seed = 1
  return urls
    .map((url) => ({ url, order: (seed = (seed * 48_271) % 2_147_483_647) }))
    .sort((a, b) => a.order - b.order)
    .map(({ url }) => url)
}

/** The request URLs, mixed in a fixed pseudo-random order, so that every stretch of the load has all three levels. */
function requestMix(customers: Customer[], sessions: string[]): string[] {
  return shuffled([
    ...customers.map(([ref]) => `/v1/recommendations?subject=${ref}&limit=10`),
    ...sessions.map((session) => `/v1/recommendations?session=${session}&limit=10`),
    ...Array.from({ length: 50 }, () => '/v1/recommendations?limit=10'),
  ])
}

/** `CANDOR_BENCH_PROFILE=1`: the time per request in process, per kind of shopper. */
async function timeInProcess(
  app: FastifyInstance,
  auth: Auth,
  urls: string[],
  log: (message: string) => void,
): Promise<void> {
  for (const kind of ['subject=', 'session=', '?limit=']) {
    const picked = urls.filter((u) => u.includes(kind)).slice(0, 40)
    const t0 = performance.now()
    for (const url of picked) await app.inject({ method: 'GET', url, headers: auth })
    log(
      `${kind}: ${((performance.now() - t0) / picked.length).toFixed(2)} ms per request in process`,
    )
  }
}
