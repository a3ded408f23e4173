/**
 * Loading benchmark data: the UCI Online Retail export and the generic `customer,item,timestamp`
 * CSV. Timestamps without a zone are read as UTC; the split only compares them, so the zone does
 * not matter as long as it is the same for every row.
 */
import { readFileSync } from 'node:fs'
import { gunzipSync } from 'node:zlib'

/** Raw events as parallel columns of strings and epoch milliseconds. */
export interface RawEvents {
  customers: string[]
  items: string[]
  times: number[]
  /**
   * The basket (order, visit) of each row, where the data says; basket-aware references group by
   * (customer, timestamp) otherwise.
   */
  baskets?: string[]
}

export function readText(file: string): string {
  const buf = readFileSync(file)
  const isGzip = buf.length > 2 && buf[0] === 0x1f && buf[1] === 0x8b
  return (isGzip ? gunzipSync(buf) : buf).toString('utf8')
}

/** Splits one CSV line into fields, honouring double quotes and `""` escapes (RFC 4180). */
export function parseCsvLine(line: string): string[] {
  const out: string[] = []
  let field = ''
  let quoted = false
  for (let k = 0; k < line.length; k++) {
    const c = line[k]
    if (quoted) {
      if (c === '"') {
        if (line[k + 1] === '"') {
          field += '"'
          k++
        } else quoted = false
      } else field += c
    } else if (c === '"') quoted = true
    else if (c === ',') {
      out.push(field)
      field = ''
    } else field += c
  }
  out.push(field)
  return out
}

/**
 * Parses `YYYY-MM-DD HH:MM[:SS]`, ISO-8601 (`T`, optional zone) or `M/D/YYYY H:MM`. Returns NaN
 * when the text is none of these.
 */
export function parseTimestamp(text: string): number {
  const t = text.trim()
  const us = /^(\d{1,2})\/(\d{1,2})\/(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$/.exec(t)
  if (us) {
    const [, mo, d, y, h, mi, s] = us
    return Date.UTC(+y!, +mo! - 1, +d!, +(h ?? 0), +(mi ?? 0), +(s ?? 0))
  }
  const iso =
    /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(
      t,
    )
  if (!iso) return Number.NaN
  const [, y, mo, d, h, mi, s, frac, zone] = iso
  let ms = Date.UTC(+y!, +mo! - 1, +d!, +(h ?? 0), +(mi ?? 0), +(s ?? 0))
  if (frac) ms += Math.round(Number(frac) * 1000)
  if (zone && zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1
    const digits = zone.slice(1).replace(':', '')
    ms -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000
  }
  return ms
}

function columnIndex(header: string[], name: string, file: string): number {
  const k = header.findIndex((h) => h.trim().toLowerCase() === name.toLowerCase())
  if (k < 0) throw new Error(`${file}: no column "${name}" in header ${header.join(',')}`)
  return k
}

/**
 * UCI Online Retail, cleaned as BENCHMARKS.md section 1 says: drop rows without CustomerID,
 * cancellations (InvoiceNo starting with C), Quantity <= 0 and StockCodes without a digit.
 */
export function loadUci(file: string): RawEvents & { rawRows: number } {
  const lines = readText(file).split(/\r?\n/)
  const header = parseCsvLine(lines[0] ?? '')
  const cInvoice = columnIndex(header, 'InvoiceNo', file)
  const cStock = columnIndex(header, 'StockCode', file)
  const cQty = columnIndex(header, 'Quantity', file)
  const cDate = columnIndex(header, 'InvoiceDate', file)
  const cCustomer = columnIndex(header, 'CustomerID', file)
  const out: RawEvents & { rawRows: number } = { customers: [], items: [], times: [], rawRows: 0 }
  for (let k = 1; k < lines.length; k++) {
    const line = lines[k]!
    if (line === '') continue
    out.rawRows++
    const f = parseCsvLine(line)
    const customer = (f[cCustomer] ?? '').trim()
    if (customer === '') continue
    const invoice = (f[cInvoice] ?? '').trim()
    if (invoice.startsWith('C') || invoice.startsWith('c')) continue
    if (!(Number(f[cQty]) > 0)) continue
    const stock = (f[cStock] ?? '').trim()
    if (!/\d/.test(stock)) continue
    const time = parseTimestamp(f[cDate] ?? '')
    if (Number.isNaN(time)) throw new Error(`${file}:${k + 1}: bad InvoiceDate "${f[cDate]}"`)
    // The Databricks export writes CustomerID as a float ("17850.0").
    out.customers.push(customer.replace(/\.0+$/, ''))
    out.items.push(stock)
    out.times.push(time)
  }
  return out
}

/**
 * The generic format: a header line with `customer,item,timestamp` and optionally `basket` (any
 * order, more columns allowed).
 */
export function loadInteractionsCsv(file: string): RawEvents {
  const lines = readText(file).split(/\r?\n/)
  const header = parseCsvLine(lines[0] ?? '')
  const cCustomer = columnIndex(header, 'customer', file)
  const cItem = columnIndex(header, 'item', file)
  const cTime = columnIndex(header, 'timestamp', file)
  const cBasket = header.findIndex((h) => h.trim().toLowerCase() === 'basket')
  const baskets: string[] = []
  const out: RawEvents = { customers: [], items: [], times: [] }
  for (let k = 1; k < lines.length; k++) {
    const line = lines[k]!
    if (line.trim() === '') continue
    const f = parseCsvLine(line)
    const customer = (f[cCustomer] ?? '').trim()
    const item = (f[cItem] ?? '').trim()
    if (customer === '' || item === '') throw new Error(`${file}:${k + 1}: empty customer or item`)
    const time = parseTimestamp(f[cTime] ?? '')
    if (Number.isNaN(time)) throw new Error(`${file}:${k + 1}: bad timestamp "${f[cTime]}"`)
    out.customers.push(customer)
    out.items.push(item)
    out.times.push(time)
    if (cBasket >= 0) baskets.push((f[cBasket] ?? '').trim())
  }
  if (cBasket >= 0) out.baskets = baskets
  return out
}

/** Each customer's row numbers, customers with the most rows first (first seen first among equals). */
export function rowsByCustomer(events: RawEvents): [string, number[]][] {
  const byCustomer = new Map<string, number[]>()
  events.customers.forEach((customer, k) => {
    const rows = byCustomer.get(customer)
    if (rows === undefined) byCustomer.set(customer, [k])
    else rows.push(k)
  })
  return [...byCustomer.entries()].sort((a, b) => b[1].length - a[1].length)
}

/** What to add to every event time so that the last one falls a minute before `now` (ms). */
export function shiftToEndBefore(events: RawEvents, now: number): number {
  const lastTime = events.times.reduce((a, b) => (b > a ? b : a), 0)
  return now - 60_000 - lastTime
}
