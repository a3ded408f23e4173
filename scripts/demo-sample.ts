/**
 * Derives the demo shop's data from UCI Online Retail: a few hundred products with a category and a
 * price, and the purchase history of a few demo shoppers plus some background shoppers (so that the
 * suggestions have something to learn from). Deterministic: the same input gives byte-identical files.
 *
 * Run: `npm run demo:sample` (reads ../shared/datasets/uci-online-retail/online_retail.csv.gz, or the
 * path given as the first argument; writes demo/catalog.json and demo/history.csv).
 *
 * Source: Chen, D. (2015). Online Retail [Dataset]. UCI Machine Learning Repository.
 * https://doi.org/10.24432/C5BW33 (CC BY 4.0).
 */
import fs from 'node:fs'
import path from 'node:path'
import readline from 'node:readline'
import { fileURLToPath } from 'node:url'
import { createGunzip } from 'node:zlib'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const DEFAULT_INPUT = path.resolve(
  ROOT,
  '../shared/datasets/uci-online-retail/online_retail.csv.gz',
)

const PRODUCTS = 300
const FEATURED_SHOPPERS = 3
const BACKGROUND_SHOPPERS = 120
const MAX_LINES_PER_SHOPPER = 30

/** Plain-language categories by keyword, first match wins; the rest is "Home and decor". */
const CATEGORIES: [string, string, RegExp][] = [
  ['christmas', 'Christmas', /CHRISTMAS|XMAS|SANTA|REINDEER|ADVENT|SNOWFLAKE|BAUBLE/],
  ['lights', 'Candles and lights', /T-LIGHT|CANDLE|LANTERN|LIGHT|LAMP|TEALIGHT/],
  ['bags', 'Bags', /\bBAG\b|BAGS|PURSE|TOTE|SHOPPER/],
  [
    'kitchen',
    'Kitchen and dining',
    /MUG|CUP|PLATE|BOWL|\bTEA\b|CAKE|BAKING|LUNCH|JAR|KITCHEN|SPOON|NAPKIN|TRAY|BOTTLE|RECIPE|CUTLERY|TIN|JUG|APRON|PANTRY|PICNIC/,
  ],
  [
    'paper',
    'Cards, wrap and paper',
    /CARD|WRAP|PAPER|RIBBON|\bTAGS?\b|NOTEBOOK|PENCIL|STICKER|ENVELOPE|CHALK/,
  ],
  [
    'toys',
    'Toys and parties',
    /DOLL|TOY|GAME|SPACEBOY|PARTY|BUNTING|CHILDREN|CHILDS|KIDS|SKITTLES|DOMINOES|JIGSAW|BALLOON|DINOSAUR/,
  ],
]

interface Line {
  invoice: string
  code: string
  description: string
  quantity: number
  at: string
  price: number
  customer: string
}

/** Splits one CSV line with double-quoted fields. */
function splitCsv(line: string): string[] {
  const out: string[] = []
  let field = ''
  let quoted = false
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"'
        i++
      } else if (c === '"') quoted = false
      else field += c
    } else if (c === '"') quoted = true
    else if (c === ',') {
      out.push(field)
      field = ''
    } else field += c
  }
  out.push(field)
  return out
}

function titleCase(description: string): string {
  const small = new Set(['of', 'and', 'with', 'in', 'on', 'the', 'a', 'for', 'to'])
  return description
    .trim()
    .replace(/\s+/g, ' ')
    .toLowerCase()
    .split(' ')
    .map((word, i) =>
      i > 0 && small.has(word) ? word : word.charAt(0).toUpperCase() + word.slice(1),
    )
    .join(' ')
}

function categoryOf(description: string): string {
  return CATEGORIES.find(([, , pattern]) => pattern.test(description))?.[0] ?? 'home'
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? 0
}

async function readLines(file: string): Promise<Line[]> {
  const lines: Line[] = []
  const input = fs.createReadStream(file).pipe(createGunzip())
  let header = true
  for await (const raw of readline.createInterface({ input, crlfDelay: Infinity })) {
    if (header) {
      header = false
      continue
    }
    const [invoice, code, description, quantity, at, price, customer, country] = splitCsv(raw)
    // Ordinary sales to identified UK customers of real products (codes like 85123A, not POST or M).
    if (invoice === undefined || invoice.startsWith('C') || country !== 'United Kingdom') continue
    if (
      code === undefined ||
      !/^\d{5}[A-Z]?$/.test(code) ||
      customer === undefined ||
      customer === ''
    )
      continue
    const q = Number(quantity)
    const p = Number(price)
    if (
      !(q > 0 && q <= 100 && p > 0 && p < 100) ||
      description === undefined ||
      description.trim() === ''
    )
      continue
    lines.push({
      invoice,
      code,
      description,
      quantity: q,
      at: at ?? '',
      price: p,
      customer: String(Math.trunc(Number(customer))),
    })
  }
  return lines
}

export async function deriveSample(input: string) {
  const lines = await readLines(input)
  const customersByCode = new Map<string, Set<string>>()
  for (const line of lines) {
    let set = customersByCode.get(line.code)
    if (set === undefined) customersByCode.set(line.code, (set = new Set()))
    set.add(line.customer)
  }
  // The products most customers bought: what a newcomer recognizes as the shop's range.
  const codes = [...customersByCode.entries()]
    .sort((a, b) => b[1].size - a[1].size || (a[0] < b[0] ? -1 : 1))
    .slice(0, PRODUCTS)
    .map(([code]) => code)
  const chosen = new Set(codes)
  const kept = lines.filter((line) => chosen.has(line.code))

  const catalog = codes.map((code) => {
    const rows = kept.filter((line) => line.code === code)
    const descriptions = new Map<string, number>()
    for (const row of rows)
      descriptions.set(row.description, (descriptions.get(row.description) ?? 0) + 1)
    const description = [...descriptions.entries()].sort(
      (a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1),
    )[0]![0]
    return {
      id: code,
      title: titleCase(description),
      category: categoryOf(description),
      price: Math.round(median(rows.map((r) => r.price)) * 100) / 100,
      currency: 'GBP',
    }
  })

  // Shoppers: those with the most distinct sample products. Featured ones get names in the demo.
  const itemsByCustomer = new Map<string, Set<string>>()
  for (const line of kept) {
    let set = itemsByCustomer.get(line.customer)
    if (set === undefined) itemsByCustomer.set(line.customer, (set = new Set()))
    set.add(line.code)
  }
  const ranked = [...itemsByCustomer.entries()]
    .filter(([, items]) => items.size >= 8)
    .sort((a, b) => b[1].size - a[1].size || (a[0] < b[0] ? -1 : 1))
  // Featured shoppers: mid-sized histories, easier to read than the wholesalers at the top.
  const featured = ranked.filter(([, items]) => items.size <= 45).slice(0, FEATURED_SHOPPERS)
  const featuredIds = new Set(featured.map(([id]) => id))
  const background = ranked.filter(([id]) => !featuredIds.has(id)).slice(0, BACKGROUND_SHOPPERS)
  const refs = new Map<string, string>()
  featured.forEach(([id], i) => refs.set(id, `demo-shopper-${i + 1}`))
  background.forEach(([id], i) => refs.set(id, `demo-bg-${String(i + 1).padStart(3, '0')}`))

  const history: string[] = ['shopper,item,quantity,price,timestamp']
  for (const [customer, ref] of refs) {
    const rows = kept
      .filter((line) => line.customer === customer)
      .sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : a.code < b.code ? -1 : 1))
      .slice(0, MAX_LINES_PER_SHOPPER)
      .reverse()
    for (const row of rows) {
      history.push(`${ref},${row.code},${row.quantity},${row.price},${row.at.replace(' ', 'T')}Z`)
    }
  }
  return { catalog, history: history.join('\n') + '\n' }
}

if (
  process.argv[1] !== undefined &&
  path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)
) {
  const input = path.resolve(process.argv[2] ?? DEFAULT_INPUT)
  const { catalog, history } = await deriveSample(input)
  fs.mkdirSync(path.join(ROOT, 'demo'), { recursive: true })
  fs.writeFileSync(path.join(ROOT, 'demo/catalog.json'), JSON.stringify(catalog, null, 1) + '\n')
  fs.writeFileSync(path.join(ROOT, 'demo/history.csv'), history)
  process.stdout.write(
    `demo: ${catalog.length} products, ${history.split('\n').length - 2} purchase lines written to demo/\n`,
  )
}
