import { createHash } from 'node:crypto'
import fs from 'node:fs'
import readline from 'node:readline'
import type { Readable } from 'node:stream'
import { createGunzip } from 'node:zlib'
import { AppError } from '../../lib/errors.js'
import type { Db } from '../../storage/db.js'
import type { Actor } from '../audit/index.js'
import type { CatalogService } from '../catalog/index.js'
import { ItemInputSchema, type ItemInput } from '../catalog/index.js'
import { type Charter, type LegalBasis, findPurpose, purposesForEvent } from '../charter/index.js'
import type { RefusalReason } from './events.js'
import type { EventsService } from './events.service.js'

/** Columns the order import reads (UCI Online Retail); `Country` and any others are ignored. */
export const ORDER_COLUMNS = [
  'InvoiceNo',
  'StockCode',
  'Description',
  'Quantity',
  'InvoiceDate',
  'UnitPrice',
  'CustomerID',
] as const

export interface ImportOrdersOptions {
  file: string
  /** The lawful basis the shop declares for these orders (see `IngestOptions.declaredBasis`). */
  basis: LegalBasis
  /** A charter jurisdiction code for the customers (else each subject's own, else `default`). */
  jurisdiction?: string
  /** Continue an interrupted import of the same file from its checkpoint. */
  resume?: boolean
  /** Ignore any checkpoint and read the file from the start (events already stored answer duplicate). */
  restart?: boolean
  currency?: string
  chunkLines?: number
  actor: Actor
  onProgress?: (linesDone: number, totalLines: number) => void
  /** Stops after the chunk in progress is committed (SIGINT); the checkpoint allows `resume`. */
  signal?: AbortSignal
}

export type ImportReason = RefusalReason | 'no_customer'

export interface ImportSummary {
  fileHash: string
  totalLines: number
  linesDone: number
  /** The line the import started after (0 for a fresh import). */
  resumedFrom: number
  stored: number
  duplicate: number
  refused: number
  reasons: Partial<Record<ImportReason, number>>
  items: number
  completed: boolean
  /** The file was already imported completely: nothing was read. */
  alreadyImported: boolean
}

interface Counts {
  stored: number
  duplicate: number
  refused: number
  reasons: Partial<Record<ImportReason, number>>
  items: number
}

function isGzip(file: string): boolean {
  const fd = fs.openSync(file, 'r')
  try {
    const head = Buffer.alloc(2)
    fs.readSync(fd, head, 0, 2, 0)
    return head[0] === 0x1f && head[1] === 0x8b
  } finally {
    fs.closeSync(fd)
  }
}

function textStream(file: string): Readable {
  const raw = fs.createReadStream(file)
  return isGzip(file) ? raw.pipe(createGunzip()) : raw
}

/** SHA-256 of the file's bytes and its number of data lines (one pass, streaming). */
async function fingerprint(file: string): Promise<{ hash: string; lines: number }> {
  const hash = createHash('sha256')
  await new Promise<void>((resolve, reject) => {
    fs.createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', resolve)
      .on('error', reject)
  })
  let lines = 0
  let last = 10
  for await (const chunk of textStream(file) as AsyncIterable<Buffer>) {
    for (const byte of chunk) if (byte === 10) lines += 1
    last = chunk.length > 0 ? chunk[chunk.length - 1]! : last
  }
  if (last !== 10) lines += 1
  return { hash: hash.digest('hex'), lines: Math.max(0, lines - 1) }
}

/** One CSV line into fields (RFC 4180 quoting; a field never spans lines in these exports). */
export function parseCsvLine(line: string): string[] {
  const fields: string[] = []
  let field = ''
  let quoted = false
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!
    if (quoted) {
      if (ch === '"') {
        if (line[i + 1] === '"') {
          field += '"'
          i++
        } else quoted = false
      } else field += ch
    } else if (ch === '"' && field === '') quoted = true
    else if (ch === ',') {
      fields.push(field)
      field = ''
    } else field += ch
  }
  fields.push(field)
  return fields
}

/**
 * `2010-12-01 08:26:00` (the Databricks export) or `12/1/2010 8:26` (the UCI spreadsheet saved as CSV),
 * read as UTC: the source gives UK local time without a zone.
 */
export function parseOrderDate(value: string): string | undefined {
  const iso = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(value.trim())
  const us = /^(\d{1,2})\/(\d{1,2})\/(\d{4}) (\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(value.trim())
  let parts: number[] | undefined
  if (iso !== null) parts = [iso[1], iso[2], iso[3], iso[4], iso[5], iso[6] ?? '0'].map(Number)
  else if (us !== null) parts = [us[3], us[1], us[2], us[4], us[5], us[6] ?? '0'].map(Number)
  if (parts === undefined) return undefined
  const [y, mo, d, h, mi, s] = parts as [number, number, number, number, number, number]
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s))
  if (Number.isNaN(date.getTime()) || date.getUTCDate() !== d) return undefined
  return date.toISOString()
}

/** `17850.0` and `17850` are the same customer. */
function customerRef(value: string): string {
  return value.trim().replace(/\.0+$/, '')
}

/** The lawful bases an import may declare: those of the charter's purposes that cover purchase events. */
export function importBases(charter: Charter): LegalBasis[] {
  const covering = purposesForEvent(charter, 'purchase')
  return [...new Set(covering.flatMap((p) => findPurpose(charter, p)?.legalBasis ?? []))]
}

/** Refuses a basis no purpose covering purchase events rests on, and a file that is not there. */
function assertImportable(charter: Charter, options: ImportOrdersOptions): void {
  const bases = importBases(charter)
  if (!bases.includes(options.basis)) {
    throw new AppError(
      'validation_failed',
      `No purpose of the charter that covers purchase events rests on ${options.basis}; declared bases: ${bases.join(', ')}`,
      { issues: [{ field: 'basis', reason: `must be one of ${bases.join(', ')}` }] },
    )
  }
  if (!fs.existsSync(options.file)) {
    throw new AppError('validation_failed', 'The order file does not exist', {
      issues: [{ field: 'file', reason: 'not found' }],
    })
  }
}

/** The header line's column positions; refuses a file that lacks a column the import reads. */
function readColumns(line: string): Map<string, number> {
  const header = parseCsvLine(line.replace(/^\uFEFF/, '')).map((h) => h.trim())
  const columns = new Map(header.map((name, i) => [name, i]))
  const missing = ORDER_COLUMNS.filter((c) => !columns.has(c))
  if (missing.length > 0) {
    throw new AppError('validation_failed', `The order file lacks columns: ${missing.join(', ')}`, {
      issues: missing.map((c) => ({
        field: c,
        reason: 'column missing from the header line',
      })),
    })
  }
  return columns
}

interface OrderLine {
  line: number
  fields: string[]
}

/** A chunk's order lines as events for the gate, with the catalog items they name. */
interface OrderChunk {
  events: Record<string, unknown>[]
  items: Map<string, ItemInput>
  /** Lines without a CustomerID (refused `no_customer`, never sent to the gate). */
  noCustomer: number
}

function orderChunk(
  pending: readonly OrderLine[],
  columns: Map<string, number>,
  currency: string,
): OrderChunk {
  const events: Record<string, unknown>[] = []
  const items = new Map<string, ItemInput>()
  let noCustomer = 0
  for (const { line, fields } of pending) {
    const get = (name: string) => fields[columns.get(name)!] ?? ''
    const invoice = get('InvoiceNo').trim()
    const stockCode = get('StockCode').trim()
    const quantity = Number(get('Quantity'))
    const price = Number(get('UnitPrice'))
    const item: ItemInput = {
      id: stockCode,
      title: get('Description').trim() || stockCode,
      ...(Number.isFinite(price) && price >= 0 ? { price, currency } : {}),
    }
    if (quantity > 0 && ItemInputSchema.safeParse(item).success) items.set(stockCode, item)
    const customer = customerRef(get('CustomerID'))
    if (customer === '') {
      noCustomer += 1
      continue
    }
    const timestamp = parseOrderDate(get('InvoiceDate'))
    events.push({
      id: `order-${invoice}-${stockCode}-${line}`,
      type: 'purchase',
      subject: customer,
      item: stockCode,
      quantity: Number.isInteger(quantity) ? quantity : get('Quantity'),
      price: Number.isFinite(price) ? price : get('UnitPrice'),
      currency,
      timestamp: timestamp ?? get('InvoiceDate'),
    })
  }
  return { events, items, noCustomer }
}

type ImportDeps = { events: EventsService; catalog: CatalogService; charter: Charter }

/** One import of one file: its hash, when it first started, and the running counts (updated in place). */
interface ImportRun {
  hash: string
  startedAt: string
  counts: Counts
}

/**
 * Sends a chunk through the gate and, in the gate's transaction, upserts its catalog items and saves
 * the checkpoint (lines done up to `last`, the running counts; completed when `done`).
 */
async function commitChunk(
  deps: ImportDeps,
  options: ImportOrdersOptions,
  run: ImportRun,
  chunk: OrderChunk,
  last: number,
  done: boolean,
): Promise<void> {
  const { counts } = run
  counts.refused += chunk.noCustomer
  if (chunk.noCustomer > 0)
    counts.reasons.no_customer = (counts.reasons.no_customer ?? 0) + chunk.noCustomer
  await deps.events.ingest(chunk.events, {
    actor: options.actor,
    signals: options.jurisdiction === undefined ? {} : { jurisdiction: options.jurisdiction },
    declaredBasis: options.basis,
    auditAction: 'events.imported',
    inTransaction: async (trx: Db, result) => {
      counts.stored += result.counts.stored
      counts.duplicate += result.counts.duplicate
      counts.refused += result.counts.refused
      for (const [reason, n] of Object.entries(result.counts.reasons)) {
        const key = reason as ImportReason
        counts.reasons[key] = (counts.reasons[key] ?? 0) + n
      }
      counts.items += await deps.catalog.upsertItemsIn(trx, [...chunk.items.values()])
      await deps.events.checkpoints.save(trx, {
        fileHash: run.hash,
        kind: 'orders',
        linesDone: last,
        counts: JSON.stringify(counts),
        startedAt: run.startedAt,
        updatedAt: new Date().toISOString(),
        completedAt: done ? new Date().toISOString() : null,
      })
    },
  })
}

/**
 * Imports offline or in-store orders (UCI Online Retail CSV, plain or gzipped) as `purchase` events
 * through the same privacy gate as `POST /v1/events`, under a lawful basis the shop declares.
 *
 * The file is streamed in chunks; each chunk's events, its catalog items (from StockCode, Description and
 * UnitPrice) and the checkpoint (file hash and lines done, with running counts) are committed in one
 * transaction, so an interrupted import resumes exactly after the last committed chunk. Event ids are
 * derived from invoice, stock code and line number, so even a re-run from the start never duplicates.
 * Lines without a CustomerID are refused (`no_customer`) and counted; so is everything the gate refuses.
 */
export async function importOrders(
  deps: ImportDeps,
  options: ImportOrdersOptions,
): Promise<ImportSummary> {
  assertImportable(deps.charter, options)
  const { hash, lines: totalLines } = await fingerprint(options.file)
  const checkpoint = options.restart === true ? undefined : await deps.events.checkpoints.find(hash)
  const base = {
    fileHash: hash,
    totalLines,
    resumedFrom: 0,
    alreadyImported: false,
  }
  if (checkpoint?.completedAt !== null && checkpoint !== undefined) {
    const counts = JSON.parse(checkpoint.counts) as Counts
    return {
      ...base,
      ...counts,
      linesDone: checkpoint.linesDone,
      completed: true,
      alreadyImported: true,
    }
  }
  if (checkpoint !== undefined && options.resume !== true) {
    throw new AppError(
      'conflict',
      `An import of this file stopped after line ${checkpoint.linesDone}: add --resume to continue it, or --restart`,
    )
  }
  const skip = checkpoint?.linesDone ?? 0
  const run: ImportRun = {
    hash,
    startedAt: checkpoint?.startedAt ?? new Date().toISOString(),
    counts:
      checkpoint === undefined
        ? { stored: 0, duplicate: 0, refused: 0, reasons: {}, items: 0 }
        : (JSON.parse(checkpoint.counts) as Counts),
  }
  const chunkLines = options.chunkLines ?? 500
  const currency = options.currency ?? 'GBP'

  const input = readline.createInterface({ input: textStream(options.file), crlfDelay: Infinity })
  let columns: Map<string, number> | undefined
  let lineNo = 0
  let linesDone = skip
  let pending: OrderLine[] = []
  let completed = false

  const flush = async (last: number, done: boolean) => {
    await commitChunk(deps, options, run, orderChunk(pending, columns!, currency), last, done)
    pending = []
    linesDone = last
    options.onProgress?.(linesDone, totalLines)
  }

  try {
    options.onProgress?.(linesDone, totalLines)
    for await (const line of input) {
      if (columns === undefined) {
        columns = readColumns(line)
        continue
      }
      lineNo += 1
      if (lineNo <= skip || line.trim() === '') continue
      pending.push({ line: lineNo, fields: parseCsvLine(line) })
      if (pending.length >= chunkLines) {
        await flush(lineNo, false)
        if (options.signal?.aborted === true) break
      }
    }
    if (options.signal?.aborted !== true) {
      await flush(Math.max(lineNo, linesDone), true)
      completed = true
    }
  } finally {
    input.close()
  }
  return { ...base, resumedFrom: skip, ...run.counts, linesDone, completed }
}
