import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { parseCsvLine, readText } from '../bench/lib/data.js'
import { UCI_FILE } from '../bench/lib/erasure-uci.js'

const ROOT = path.resolve(import.meta.dirname, '..')

/** The shape `bench/assistant.ts` reads: a header citing the source, then the labelled queries. */
const QueryFileSchema = z.strictObject({
  about: z.string().includes('written here'),
  source: z.string().includes('CC BY 4.0').includes('10.24432/C5BW33'),
  catalog: z.string().min(1),
  labels: z.string().min(1),
  queries: z
    .array(
      z.strictObject({
        id: z.string().regex(/^q\d{2}$/),
        text: z.string().min(3),
        relevant: z.array(z.string().regex(/^\d{5}[A-Z]?$/)).min(1),
      }),
    )
    .min(30),
})

const file = QueryFileSchema.parse(
  JSON.parse(fs.readFileSync(path.join(ROOT, 'bench/assistant-queries.json'), 'utf8')),
)
const demo = new Set(
  (
    JSON.parse(fs.readFileSync(path.join(ROOT, 'demo/catalog.json'), 'utf8')) as { id: string }[]
  ).map((p) => p.id),
)

/**
 * The labelled query set of the assistant's retrieval benchmark (issue 24): its shape, and that every
 * labelled stock code is a product the benchmark can find (the demo catalog, else UCI Online Retail).
 */
describe('the assistant query set (bench/assistant-queries.json)', () => {
  it('has unique ids, unique texts and no label twice in a query', () => {
    expect(new Set(file.queries.map((q) => q.id)).size).toBe(file.queries.length)
    expect(new Set(file.queries.map((q) => q.text.toLowerCase())).size).toBe(file.queries.length)
    for (const q of file.queries) expect(new Set(q.relevant).size, q.id).toBe(q.relevant.length)
  })

  it('labels only stock codes of the demo catalog', () => {
    const missing = file.queries.flatMap((q) =>
      q.relevant.filter((id) => !demo.has(id)).map((id) => `${q.id}:${id}`),
    )
    expect(missing).toEqual([])
  })

  it.skipIf(!fs.existsSync(UCI_FILE))(
    'labels only stock codes that UCI Online Retail sells',
    () => {
      const lines = readText(UCI_FILE).split(/\r?\n/)
      const column = parseCsvLine(lines[0]!).indexOf('StockCode')
      const codes = new Set(lines.slice(1).map((line) => parseCsvLine(line)[column]))
      const labelled = new Set(file.queries.flatMap((q) => q.relevant))
      expect([...labelled].filter((id) => !codes.has(id))).toEqual([])
    },
  )
})
