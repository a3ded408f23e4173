/**
 * `npm run bench:assistant`: retrieval quality of the shopping assistant (issue 24) on UCI Online
 * Retail product descriptions, against the labelled query set `bench/assistant-queries.json` (queries
 * and labels written here).
 *
 * The catalog is the demo shop's: derived from the UCI file by `scripts/demo-sample.ts` (the 300
 * products most UK customers bought, titles from the descriptions, median prices, keyword categories
 * under their titles as the demo seed stores them). Every query goes through the assistant's own
 * retrieval (`searchCatalog`: the message read for budget and category, then MiniSearch), and its first
 * 10 items are compared with the labels:
 * - recall@10 = |top 10 ∩ relevant| / min(10, |relevant|) (as bench:quality caps Recall@20), so a query
 *   with more than 10 right answers can still reach 1;
 * - MRR = the mean of 1 / the rank of the first relevant item in the top 10 (0 when none is there).
 * Both are averaged over the queries, each query weighing the same.
 *
 * Prints a table per query and the means, writes test-artifacts/bench-assistant.json; `--json` prints
 * one line `{"benchmark":"assistant","queries":N,"recallAt10":...,"mrr":...}`. `--file` names the UCI
 * file (without it, the committed demo/catalog.json, which the same script derived from it).
 */
import fs from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { UCI_FILE } from './lib/erasure-uci.js'
import { searchCatalog } from '../src/modules/assistant/index.js'
import { DEMO_CATEGORIES } from '../src/modules/demo/index.js'
import { deriveSample } from '../scripts/demo-sample.js'

const K = 10

const { values: args } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    file: { type: 'string', default: UCI_FILE },
    queries: { type: 'string', default: 'bench/assistant-queries.json' },
  },
})

interface LabelledQuery {
  id: string
  text: string
  relevant: string[]
}

interface Product {
  id: string
  title: string
  category: string
  price: number
}

interface QueryResult {
  id: string
  text: string
  relevant: number
  found: string[]
  recall: number
  reciprocalRank: number
}

function log(message: string): void {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${message}\n`)
}

/** The demo catalog from the UCI file, else the committed copy (the same script wrote it). */
async function loadCatalog(file: string): Promise<{ products: Product[]; from: string }> {
  if (fs.existsSync(file)) {
    log(`deriving the demo catalog from ${path.relative(process.cwd(), file)} ...`)
    return { products: (await deriveSample(file)).catalog, from: 'UCI Online Retail' }
  }
  log(`${file} not found: using the committed demo/catalog.json (derived from it)`)
  const products = JSON.parse(fs.readFileSync('demo/catalog.json', 'utf8')) as Product[]
  return { products, from: 'demo/catalog.json' }
}

/** One query's figures: its top 10 against its labels. */
function score(query: LabelledQuery, found: string[]): QueryResult {
  const relevant = new Set(query.relevant)
  const top = found.slice(0, K)
  const hits = top.filter((id) => relevant.has(id)).length
  const first = top.findIndex((id) => relevant.has(id))
  return {
    id: query.id,
    text: query.text,
    relevant: relevant.size,
    found: top,
    recall: hits / Math.min(K, relevant.size),
    reciprocalRank: first === -1 ? 0 : 1 / (first + 1),
  }
}

async function main(): Promise<void> {
  const queries = (
    JSON.parse(fs.readFileSync(args.queries, 'utf8')) as { queries: LabelledQuery[] }
  ).queries
  const { products, from } = await loadCatalog(args.file)
  // As the demo seed stores them: the category's title, every item available.
  const titles = new Map<string, string>(DEMO_CATEGORIES.map((c) => [c.id, c.title]))
  const items = products.map((p) => ({
    id: p.id,
    title: p.title,
    category: [titles.get(p.category) ?? p.category],
    price: p.price,
    available: true,
  }))
  const known = new Set(items.map((i) => i.id))
  const unknown = queries.flatMap((q) => q.relevant.filter((id) => !known.has(id)))
  if (unknown.length > 0) log(`labels not in this catalog (never found): ${unknown.join(', ')}`)
  log(`${items.length} products; ${queries.length} queries through searchCatalog ...`)
  const t0 = performance.now()
  const results = queries.map((q) =>
    score(
      q,
      searchCatalog(items, q.text, K).map((h) => h.item.id),
    ),
  )
  const ms = (performance.now() - t0) / queries.length
  const mean = (f: (r: QueryResult) => number) =>
    results.reduce((a, r) => a + f(r), 0) / Math.max(1, results.length)
  const recallAt10 = Number(mean((r) => r.recall).toFixed(3))
  const mrr = Number(mean((r) => r.reciprocalRank).toFixed(3))

  const outFile = path.resolve('test-artifacts/bench-assistant.json')
  fs.mkdirSync(path.dirname(outFile), { recursive: true })
  fs.writeFileSync(outFile, JSON.stringify({ catalog: from, recallAt10, mrr, results }, null, 2))
  if (args.json) {
    const line = { benchmark: 'assistant', queries: results.length, recallAt10, mrr }
    process.stdout.write(`${JSON.stringify(line)}\n`)
    return
  }
  const titleOf = new Map(items.map((i) => [i.id, i.title]))
  console.log(`bench:assistant: retrieval on the demo catalog (${items.length} products, ${from})`)
  console.log('query  recall@10  RR     labels  text  (first item returned)')
  for (const r of results) {
    const first = r.found[0] === undefined ? 'nothing' : (titleOf.get(r.found[0]) ?? r.found[0])
    console.log(
      `${r.id}    ${r.recall.toFixed(2).padStart(5)}  ${r.reciprocalRank.toFixed(2)}  ${String(r.relevant).padStart(6)}  ${r.text}  (${first})`,
    )
  }
  console.log(
    `mean over ${results.length} queries: recall@10 ${recallAt10}, MRR ${mrr}; ${ms.toFixed(2)} ms a query (index built each time)`,
  )
  console.log(`wrote ${outFile}`)
}

await main()
