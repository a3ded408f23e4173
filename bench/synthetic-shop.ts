/**
 * Synthetic shops with a controlled character, for `npm run bench:quality -- --synthetic`: one
 * dataset (UCI Online Retail) says little about how a recommender fares in a grocery, a fashion
 * store or a bookshop, so these generators vary one trait at a time around a common latent
 * structure that collaborative filtering can find.
 *
 *   tsx bench/synthetic-shop.ts --preset NAME [--out FILE]   write customer,item,timestamp,basket
 *   tsx bench/synthetic-shop.ts --list                       the presets and their knobs
 *
 * The model, per shop:
 * - Items belong to categories (category sizes uneven). Each item has a base popularity from a
 *   Zipf law over a random global rank (`zipf`), a release day (`newItemShare` of the catalog is
 *   released during the span, the rest before it) and optionally a shelf life after which it is no
 *   longer sold. Freshly released items get a novelty boost that fades over a month.
 * - Each category has a seasonal peak day; its weight over the year is a von Mises bump
 *   `exp(kappa (cos(2 pi (day - peak) / 365) - 1))` with kappa up to `seasonality`.
 * - Each customer joins at some day, stays a while, visits at a personal rate (gamma distributed, so
 *   a few customers buy a lot) and prefers `preferredCategories` categories (drawn by category
 *   popularity, weights uneven).
 * - A visit is one basket of `1 + Poisson(basketMean - 1)` distinct items, all with the visit's time.
 *   Each slot is, with probability `repeatRate`, one of the customer's own past purchases (weighted
 *   by how often it was bought), else a fresh draw: a preferred category with probability
 *   `preferenceStrength`, any category by popularity otherwise (both weighted by season), then an
 *   item of that category by popularity among the items on sale that day.
 *
 * Everything comes from one seeded PRNG (mulberry32), so a preset gives the same rows on every run.
 * The knobs (`ShopSpec`) and the presets are in `synthetic-presets.ts` (re-exported here).
 */
import { writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import type { RawEvents } from './lib/data.js'
import { SHOP_PRESETS, type ShopSpec, findPreset } from './synthetic-presets.js'

export { SHOP_PRESETS, findPreset }
export type { ShopSpec }

const DAY = 86_400_000

/** The generic interactions shape plus the basket (visit) of each row. */
export interface SyntheticShop extends RawEvents {
  baskets: string[]
}

/** mulberry32: a 32-bit seeded PRNG, uniform in [0, 1). */
export function createRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function normal(rand: () => number): number {
  const u = 1 - rand()
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand())
}

/** Gamma(shape, 1) by Marsaglia and Tsang (2000), with the shape < 1 boost. */
function gamma(rand: () => number, shape: number): number {
  if (shape < 1) return gamma(rand, shape + 1) * Math.pow(1 - rand(), 1 / shape)
  const d = shape - 1 / 3
  const c = 1 / Math.sqrt(9 * d)
  for (;;) {
    let x: number
    let v: number
    do {
      x = normal(rand)
      v = 1 + c * x
    } while (v <= 0)
    v = v * v * v
    const u = 1 - rand()
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v
  }
}

function poisson(rand: () => number, mean: number): number {
  if (mean <= 0) return 0
  if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * normal(rand)))
  const limit = Math.exp(-mean)
  let k = 0
  let p = rand()
  while (p > limit) {
    k++
    p *= rand()
  }
  return k
}

/** Index into a cumulative weight array (last entry = total) for a uniform draw. */
function drawCumulative(cum: Float64Array, length: number, rand: () => number): number {
  const x = rand() * cum[length - 1]!
  let lo = 0
  let hi = length - 1
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (cum[mid]! > x) hi = mid
    else lo = mid + 1
  }
  return lo
}

function shuffle(values: Int32Array, rand: () => number): void {
  for (let k = values.length - 1; k > 0; k--) {
    const j = Math.floor(rand() * (k + 1))
    const t = values[k]!
    values[k] = values[j]!
    values[j] = t
  }
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0')
}

/** The catalog: categories (popularity, size, seasonal peak) and items (category, popularity, release). */
interface Catalog {
  readonly catWeight: Float64Array
  readonly catPeak: Float64Array
  readonly catKappa: Float64Array
  readonly itemBase: Float64Array
  readonly itemRelease: Float64Array
  readonly catItems: number[][]
}

function drawCatalog(spec: ShopSpec, rand: () => number): Catalog {
  const nItems = spec.items
  const nCat = spec.categories

  // Categories: uneven sizes and popularity (Zipf 0.8 over a random order), a seasonal peak each.
  const catWeight = new Float64Array(nCat)
  const catOrder = Int32Array.from({ length: nCat }, (_, k) => k)
  shuffle(catOrder, rand)
  for (let k = 0; k < nCat; k++) catWeight[catOrder[k]!] = 1 / Math.pow(k + 1, 0.8)
  const catSize = Float64Array.from({ length: nCat }, () => 0.3 + rand())
  const catSizeCum = new Float64Array(nCat)
  for (let c = 0, acc = 0; c < nCat; c++) catSizeCum[c] = acc += catSize[c]!
  const catPeak = Float64Array.from({ length: nCat }, () => rand() * 365)
  const catKappa = Float64Array.from({ length: nCat }, () => spec.seasonality * rand())

  // Items: category, base popularity by a random global Zipf rank, release day.
  const itemCat = new Int32Array(nItems)
  const itemBase = new Float64Array(nItems)
  const itemRelease = new Float64Array(nItems)
  const rank = Int32Array.from({ length: nItems }, (_, k) => k)
  shuffle(rank, rand)
  for (let i = 0; i < nItems; i++) {
    itemCat[i] = drawCumulative(catSizeCum, nCat, rand)
    itemBase[i] = 1 / Math.pow(rank[i]! + 1, spec.zipf)
    // Items on sale from the start were released some time before it (so shelf lives end in the span).
    itemRelease[i] =
      rand() < spec.newItemShare
        ? rand() * spec.days
        : -rand() * (Number.isFinite(spec.shelfLifeDays) ? spec.shelfLifeDays : 30)
  }
  const catItems: number[][] = Array.from({ length: nCat }, () => [])
  for (let i = 0; i < nItems; i++) catItems[itemCat[i]!]!.push(i)
  return { catWeight, catPeak, catKappa, itemBase, itemRelease, catItems }
}

/** What is on the shelves on a given day: availability, novelty and season (no random draws). */
interface Shelves {
  /** A category's cumulative item weights for the week (availability, novelty). */
  categoryWeights: (c: number, week: number) => Float64Array
  season: (c: number, day: number) => number
  onSale: (i: number, day: number) => boolean
}

function createShelves(spec: ShopSpec, catalog: Catalog): Shelves {
  const { catPeak, catKappa, itemBase, itemRelease, catItems } = catalog
  const catCum = catItems.map((list) => new Float64Array(list.length))
  const catBuiltWeek = new Int32Array(spec.categories).fill(-1)
  return {
    categoryWeights: (c, week) => {
      const cum = catCum[c]!
      if (catBuiltWeek[c] === week) return cum
      catBuiltWeek[c] = week
      const day = week * 7 + 3.5
      const list = catItems[c]!
      let acc = 0
      for (let k = 0; k < list.length; k++) {
        const i = list[k]!
        const age = day - itemRelease[i]!
        if (age >= 0 && age <= spec.shelfLifeDays)
          acc += itemBase[i]! * (1 + spec.noveltyBoost * Math.exp(-age / 30))
        cum[k] = acc
      }
      return cum
    },
    season: (c, day) =>
      Math.exp(catKappa[c]! * (Math.cos((2 * Math.PI * (day - catPeak[c]!)) / 365) - 1)),
    onSale: (i, day) => {
      const age = day - itemRelease[i]!
      return age >= 0 && age <= spec.shelfLifeDays
    },
  }
}

/** The customers' preferred categories (with weights) and their visits (customer and day each). */
interface Customers {
  readonly prefCats: Int32Array[]
  readonly prefWeights: Float64Array[]
  readonly visitCustomer: number[]
  readonly visitDay: number[]
}

function drawCustomers(spec: ShopSpec, rand: () => number, catalog: Catalog): Customers {
  const nCat = spec.categories
  // Customers: preferred categories (by popularity, uneven weights) and visits.
  const catPopCum = new Float64Array(nCat)
  for (let c = 0, acc = 0; c < nCat; c++) catPopCum[c] = acc += catalog.catWeight[c]!
  const prefCats: Int32Array[] = []
  const prefWeights: Float64Array[] = []
  const visitCustomer: number[] = []
  const visitDay: number[] = []
  for (let u = 0; u < spec.customers; u++) {
    const cats = new Set<number>()
    const wanted = Math.min(spec.preferredCategories, nCat)
    while (cats.size < wanted) cats.add(drawCumulative(catPopCum, nCat, rand))
    prefCats.push(Int32Array.from(cats))
    prefWeights.push(Float64Array.from(cats, () => gamma(rand, 1)))
    // Half the customers are there from the start; the others join during the span. Each stays an
    // exponential time with mean twice the span.
    const join = rand() < 0.5 ? 0 : rand() * spec.days
    const stay = -Math.log(1 - rand()) * 2 * spec.days
    const leave = Math.min(spec.days, join + stay)
    const rate = (gamma(rand, 0.8) / 0.8) * (spec.visitsPerYear / 365)
    const visits = poisson(rand, rate * (leave - join))
    for (let v = 0; v < visits; v++) {
      visitCustomer.push(u)
      visitDay.push(join + rand() * (leave - join))
    }
  }
  return { prefCats, prefWeights, visitCustomer, visitDay }
}

/**
 * A fresh (non-repeat) pick for customer `u` on `day`: a category (preferred or by popularity, both
 * weighted by season), then an item of it by popularity among those on sale; -1 when none is.
 */
function createFreshPick(
  spec: ShopSpec,
  rand: () => number,
  catalog: Catalog,
  shelves: Shelves,
  customers: Customers,
): (u: number, day: number) => number {
  const nCat = spec.categories
  const { catWeight, catItems } = catalog
  const { season } = shelves
  const catScratch = new Float64Array(nCat)
  let catScratchDay = -1
  const prefScratch = new Float64Array(Math.max(1, spec.preferredCategories))
  return (u, day) => {
    let c: number
    if (rand() < spec.preferenceStrength) {
      const cats = customers.prefCats[u]!
      const w = customers.prefWeights[u]!
      for (let k = 0, acc = 0; k < cats.length; k++)
        prefScratch[k] = acc += w[k]! * season(cats[k]!, day)
      c = cats[drawCumulative(prefScratch, cats.length, rand)]!
    } else {
      // Category weights by season change slowly: recomputed once a day.
      const whole = Math.floor(day)
      if (whole !== catScratchDay) {
        catScratchDay = whole
        for (let k = 0, acc = 0; k < nCat; k++)
          catScratch[k] = acc += catWeight[k]! * season(k, whole + 0.5)
      }
      c = drawCumulative(catScratch, nCat, rand)
    }
    const cum = shelves.categoryWeights(c, Math.floor(day / 7))
    const list = catItems[c]!
    if (list.length === 0 || cum[list.length - 1]! <= 0) return -1
    const i = list[drawCumulative(cum, list.length, rand)]!
    // The weights are weekly; an item released later this week is not on sale yet.
    return shelves.onSale(i, day) ? i : -1
  }
}

/** The visits in time order, each a basket of repeats and fresh picks, as rows. */
function fillBaskets(
  spec: ShopSpec,
  rand: () => number,
  start: number,
  customers: Customers,
  onSale: (i: number, day: number) => boolean,
  freshPick: (u: number, day: number) => number,
): SyntheticShop {
  const { visitCustomer, visitDay } = customers
  const order = Array.from(visitDay.keys()).sort((a, b) => visitDay[a]! - visitDay[b]!)
  const past: number[][] = Array.from({ length: spec.customers }, () => [])
  const pastSet: Set<number>[] = Array.from({ length: spec.customers }, () => new Set())
  const out: SyntheticShop = { customers: [], items: [], times: [], baskets: [] }
  const basket = new Set<number>()
  const customerWidth = String(spec.customers).length
  const itemWidth = String(spec.items).length
  for (let v = 0; v < order.length; v++) {
    const u = visitCustomer[order[v]!]!
    const day = visitDay[order[v]!]!
    const size = 1 + poisson(rand, spec.basketMean - 1)
    const history = past[u]!
    const owned = pastSet[u]!
    basket.clear()
    for (let slot = 0; slot < size; slot++) {
      for (let attempt = 0; attempt < 8; attempt++) {
        let i = -1
        const repeat = history.length > 0 && rand() < spec.repeatRate
        if (repeat) {
          i = history[Math.floor(rand() * history.length)]!
          if (!onSale(i, day)) i = -1
        }
        if (!repeat) {
          i = freshPick(u, day)
          // A fresh pick is new to the customer: repeats come only from the branch above.
          if (i >= 0 && owned.has(i)) i = -1
        }
        if (i >= 0 && !basket.has(i)) {
          basket.add(i)
          break
        }
      }
    }
    if (basket.size === 0) continue
    // Whole seconds, so the CSV round trip gives the same times.
    const time = start + Math.floor((day * DAY) / 1000) * 1000
    const id = `b${pad(v, 7)}`
    const customer = `c${pad(u, customerWidth)}`
    for (const i of basket) {
      out.customers.push(customer)
      out.items.push(`i${pad(i, itemWidth)}`)
      out.times.push(time)
      out.baskets.push(id)
    }
    for (const i of basket) {
      history.push(i)
      owned.add(i)
    }
  }
  return out
}

/**
 * Generates the shop's purchase rows in time order (one row per distinct item of a basket). The draws
 * come in a fixed order from one PRNG: the catalog, then the customers, then the baskets.
 *
 * @example
 * const shop = generateShop(findPreset('grocery'))
 * shop.customers.length === shop.items.length // parallel columns, plus shop.baskets
 */
export function generateShop(spec: ShopSpec): SyntheticShop {
  const rand = createRandom(spec.seed * 0x9e3779b1)
  const start = Date.parse(`${spec.start}T00:00:00Z`)
  if (Number.isNaN(start)) throw new Error(`${spec.name}: bad start "${spec.start}"`)
  const catalog = drawCatalog(spec, rand)
  const shelves = createShelves(spec, catalog)
  const customers = drawCustomers(spec, rand, catalog)
  const freshPick = createFreshPick(spec, rand, catalog, shelves, customers)
  return fillBaskets(spec, rand, start, customers, shelves.onSale, freshPick)
}

/** The shop as CSV text: `customer,item,timestamp,basket`, timestamps ISO-8601 UTC. */
export function shopToCsv(shop: SyntheticShop): string {
  const lines = ['customer,item,timestamp,basket']
  for (let e = 0; e < shop.times.length; e++) {
    const time = new Date(shop.times[e]!).toISOString().slice(0, 19) + 'Z'
    lines.push(`${shop.customers[e]},${shop.items[e]},${time},${shop.baskets[e]}`)
  }
  return lines.join('\n') + '\n'
}

function main(): void {
  const { values: args } = parseArgs({
    options: {
      preset: { type: 'string' },
      out: { type: 'string' },
      list: { type: 'boolean', default: false },
    },
  })
  if (args.list || args.preset === undefined) {
    for (const p of SHOP_PRESETS) console.log(`${p.name.padEnd(12)} ${p.description}`)
    if (!args.list) console.error('\nusage: tsx bench/synthetic-shop.ts --preset NAME [--out FILE]')
    return
  }
  const t = performance.now()
  const shop = generateShop(findPreset(args.preset))
  const csv = shopToCsv(shop)
  if (args.out === undefined) process.stdout.write(csv)
  else {
    writeFileSync(args.out, csv)
    const baskets = new Set(shop.baskets).size
    console.error(
      `${args.preset}: ${shop.times.length} rows, ${baskets} baskets, ` +
        `${new Set(shop.customers).size} customers, ${new Set(shop.items).size} items sold ` +
        `-> ${args.out} (${((performance.now() - t) / 1000).toFixed(1)} s)`,
    )
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url))
  main()
