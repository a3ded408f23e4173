import fs from 'node:fs'
import path from 'node:path'
import { DAY_MS } from '../../lib/clock.js'
import { ensurePrivateDir } from '../../lib/private-files.js'
import type { Actor } from '../audit/index.js'
import type { AuthService } from '../auth/index.js'
import type { CatalogService } from '../catalog/index.js'
import type { ConsentService } from '../consent/index.js'
import type { EventsService } from '../events/index.js'
import type { IdentityService } from '../identity/index.js'
import type { OffersService } from '../offers/index.js'
import type { RecommendService } from '../recommend/index.js'
import type { VoiceService } from '../voice/index.js'
import type { Clock } from '../../lib/clock.js'
import { DEMO_CATEGORIES, DEMO_SHOPPERS, type DemoData, loadDemoData } from './demo.data.js'
import { DEMO_OFFERS } from './demo.offers.js'
import { DEMO_SURVEYS } from './demo.surveys.js'

const ACTOR: Actor = { kind: 'system', name: 'demo-seed' }
/** Marks a seeded database: the first demo shopper exists. */
const MARKER = DEMO_SHOPPERS[0].ref
export const DEMO_STAFF_KEY_FILE = 'demo-staff.key'

export interface SeedReport {
  seeded: boolean
  products: number
  shoppers: number
  events: { stored: number; refused: number; duplicate: number }
}

/** What seeding the demo shop uses: the same services a shop's own calls go through. */
export interface DemoSeedDeps {
  clock: Clock
  identity: Pick<IdentityService, 'findSubjectId' | 'ensureSubjectId'>
  catalog: Pick<CatalogService, 'upsertItems'>
  consent: Pick<ConsentService, 'noticeVersion' | 'recordChange' | 'putSettings'>
  events: Pick<EventsService, 'ingest'>
  recommend: Pick<RecommendService, 'train'>
  offers: Pick<OffersService, 'define'>
  voice: { surveys: Pick<VoiceService['surveys'], 'define'> }
}

/**
 * Seeds an empty database with the demo shop: the catalog, and demo shoppers who said yes to suggestions
 * from their history, with their purchases moved into the recent past (squeezed into the last half year, so
 * they are within every retention period). Runs once: a database that already has the demo shoppers is
 * left alone. Goes through the services, so every rule (consent, minimization, audit) applies as in use.
 */
export async function seedDemo(
  services: DemoSeedDeps,
  data: DemoData = loadDemoData(),
): Promise<SeedReport> {
  const report: SeedReport = {
    seeded: false,
    products: 0,
    shoppers: 0,
    events: { stored: 0, refused: 0, duplicate: 0 },
  }
  if ((await services.identity.findSubjectId(MARKER)) !== undefined) return report
  report.seeded = true
  report.products = await seedCatalog(services, data)
  for (const offer of DEMO_OFFERS) await services.offers.define(offer, ACTOR)
  for (const survey of DEMO_SURVEYS) await services.voice.surveys.define(survey, ACTOR)

  const byShopper = new Map<string, DemoData['purchases']>()
  for (const purchase of data.purchases) {
    const list = byShopper.get(purchase.shopper) ?? []
    list.push(purchase)
    byShopper.set(purchase.shopper, list)
  }
  const now = services.clock.now().getTime()
  const latest = Math.max(...data.purchases.map((p) => Date.parse(p.timestamp)))
  const moved = (timestamp: string) =>
    new Date(now - DAY_MS - (latest - Date.parse(timestamp)) / 2).toISOString()

  // The featured shoppers first, so the marker is only written once the rest has gone well.
  const refs = [...byShopper.keys()].sort((a, b) =>
    a === MARKER ? 1 : b === MARKER ? -1 : a < b ? -1 : 1,
  )
  for (const [index, ref] of refs.entries()) {
    const purchases = (byShopper.get(ref) ?? []).map((p) => ({ ...p, timestamp: moved(p.timestamp) }))
    const counts = await seedShopper(services, ref, index + 1, purchases)
    report.events.stored += counts.stored
    report.events.refused += counts.refused
    report.events.duplicate += counts.duplicate
    report.shoppers++
  }
  // Suggestions from the first minute: train the item model on the seeded histories now.
  await services.recommend.train()
  return report
}

/** The demo catalog, in batches of 500, with category titles; says how many items were upserted. */
async function seedCatalog(services: DemoSeedDeps, data: DemoData): Promise<number> {
  const titles = new Map<string, string>(DEMO_CATEGORIES.map((c) => [c.id, c.title]))
  let upserted = 0
  for (let i = 0; i < data.products.length; i += 500) {
    const items = data.products.slice(i, i + 500).map((p) => ({
      id: p.id,
      title: p.title,
      category: [titles.get(p.category) ?? p.category],
      price: p.price,
      currency: p.currency,
    }))
    upserted += (await services.catalog.upsertItems(items, ACTOR)).upserted
  }
  return upserted
}

/**
 * One demo shopper (the `index`-th): their choices (yes to history-based suggestions, some variety in the
 * rest so the consent-rate chart has something to show), level `personal`, and their purchases.
 */
async function seedShopper(
  services: DemoSeedDeps,
  ref: string,
  index: number,
  purchases: DemoData['purchases'],
): Promise<{ stored: number; refused: number; duplicate: number }> {
  const signals = { jurisdiction: 'UK' }
  const subjectId = await services.identity.ensureSubjectId(ref)
  const grant = async (purpose: string, yes: boolean) =>
    services.consent.recordChange(
      subjectId,
      purpose,
      {
        decision: yes ? 'granted' : 'denied',
        method: 'import',
        noticeVersion: services.consent.noticeVersion,
      },
      signals,
      ACTOR,
    )
  await grant('personalize.recommendations', true)
  await grant('analytics.reporting', index % 3 !== 0)
  await grant('marketing.advertising.first_party', index % 4 === 0)
  await services.consent.putSettings(subjectId, { level: 'personal', jurisdiction: 'UK' }, signals, ACTOR)
  const events = purchases.map((p, n) => ({
    id: `demo-${n + 1}`,
    type: 'purchase',
    subject: ref,
    item: p.item,
    quantity: p.quantity,
    price: p.price,
    currency: 'GBP',
    timestamp: p.timestamp,
  }))
  return (await services.events.ingest(events, { actor: ACTOR, signals })).counts
}

/**
 * A staff API key (admin) for trying the console in demo mode, written to `demo-staff.key` in the data
 * folder with mode 0600 and never logged. A key that no longer works (a new database) is replaced.
 */
export async function ensureDemoStaffKey(
  services: { auth: Pick<AuthService, 'authenticate' | 'createApiKey'> },
  dataDir: string,
): Promise<string> {
  const file = path.join(dataDir, DEMO_STAFF_KEY_FILE)
  if (fs.existsSync(file)) {
    const existing = fs.readFileSync(file, 'utf8').trim()
    const caller = await services.auth.authenticate(existing).catch(() => undefined)
    if (caller?.kind === 'api_key') return file
  }
  const { key } = await services.auth.createApiKey('admin', 'demo staff console', ACTOR)
  ensurePrivateDir(dataDir)
  fs.writeFileSync(file, `${key}\n`, { mode: 0o600 })
  fs.chmodSync(file, 0o600)
  return file
}
