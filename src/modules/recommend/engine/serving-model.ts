/**
 * The serving model: the part of an item model that ranks the `personal` level, compact enough for a
 * browser to fetch (the `on_device` level ranks there with this same engine code, `answerPersonal`). It
 * keeps, per item, its top neighbours, its popularity counts and its repeat propensity; the EASE
 * component's strongest weights per modelled item when training chose EASE; each item's category number
 * and the listing time of the items that may take a `new_in_category` place; and the scoring parameters.
 * It drops the co-occurrence statistics that only training and erasure need, and every item the caller
 * marks as excluded (special categories: the model is everyone's, nobody's data).
 *
 * Two knobs trade size for fidelity: `neighbours` (keep the k strongest per row, of the neighbour rows
 * and of the EASE rows alike) and `precision` (`f32`: the weights as the model holds them, so the ranking
 * is exactly the server's; `u8`: each neighbour row's weights scaled to its largest and rounded to
 * 1..255, each EASE row's to its largest size and rounded to -127..127). `npm run bench:model-size`
 * measures them.
 *
 * Binary layout (little-endian, every array 4-aligned): magic `CNDRSM01`, u32 header length, the header
 * (JSON: items, counts, parameters, category numbers, new items' listing times, rating weights not 1),
 * then itemSubjects, recentSubjects, earlierSubjects, repeatSubjects (u32 each), row lengths (u16),
 * columns delta-coded within each row (u16, or u32 past 65,536 items), weights (f32, or u8 with a f32 scale per row); then,
 * with EASE, its items (u32), row lengths (u16), delta-coded columns, weights (f32, or i8 with a f32
 * scale per row) and one byte per weight: 1 when the two items were bought together (S_ij > 0), which
 * orders the evidence of an item scored through EASE.
 */
import type { EaseComponent, EaseRows } from './ease.js'
import type { ItemModel } from './item-model.js'
import { NEW_IN_CATEGORY_DAYS } from './new-in-category.js'
import type { ItemModelParams, ScoringParams } from './params.js'
import type { CatalogFacts } from './personal-answer.js'
import { type ItemFactors, itemFactorsFrom } from './scoring.js'
import { binarySearch, selectTopK } from './top-k.js'

export type ServingPrecision = 'f32' | 'u8'

export interface ServingOptions {
  /**
   * Neighbours kept per item (at most the model's own), and EASE weights per modelled item; default:
   * all the model has.
   */
  readonly neighbours?: number
  /** Default `f32`. */
  readonly precision?: ServingPrecision
  /** 1 = left out of the serving model (special-category items). */
  readonly excluded?: Uint8Array
  /** The server's category numbers and listing times per item (absent: no `new_in_category` places). */
  readonly catalog?: CatalogFacts
  /** The rating weight's factors (not 1) per item, as the server scores with them. */
  readonly itemFactors?: ItemFactors
}

/** A serving model as the browser (and the server, for comparison) ranks with it. */
export interface ServingModel {
  /** Item ids by index of `model`. */
  readonly items: readonly string[]
  readonly model: ItemModel
  /** Per item of `model`: its category number, and the listing time of the items that may be new. */
  readonly catalog: CatalogFacts
  /** The rating weight per item of `model`, where it is not 1. */
  readonly itemFactors: ItemFactors
  readonly neighbours: number
  readonly precision: ServingPrecision
}

interface Header {
  format: 2
  trainedAt: number
  subjects: number
  params: ItemModelParams
  scoring: ScoringParams
  neighbours: number
  precision: ServingPrecision
  nnz: number
  items: string[]
  /** Category number per item (-1: none). */
  categoryOf: number[]
  /** [item, listing time] of the items with no shoppers listed since trainedAt - 30 days. */
  fresh: [number, number][]
  /** [item, rating weight] where it is not 1. */
  factors: [number, number][]
  /** Modelled items and weights kept (absent: no EASE). */
  ease?: { items: number; nnz: number }
}

const MAGIC = 'CNDRSM01'
/** One message for every unreadable input (another magic, format or a truncated one): the SDK's bytes count. */
const BAD = 'bad model'
const DAY_MS = 86_400_000

/** Keeps the `k` largest of `score` (row positions), in position order. */
function strongest(score: number[], k: number): number[] {
  return Array.from(selectTopK(Float64Array.from(score), k)).sort((x, y) => x - y)
}

/**
 * The serving model of `model` (item ids by index: `ids`): excluded items left out (indices renumbered
 * in the same order, so ties rank alike), rows cut to `neighbours`, weights at `precision`.
 */
export function toServingModel(
  model: ItemModel,
  ids: readonly string[],
  options: ServingOptions = {},
): ServingModel {
  const precision = options.precision ?? 'f32'
  const k = Math.max(1, Math.min(options.neighbours ?? model.params.neighbours, 65_535))
  // EASE rows hold up to M - 1 weights (M <= 1,000), whatever the neighbour rows hold: all by default.
  const easeK = Math.max(1, Math.min(options.neighbours ?? 65_535, 65_535))
  const keep: number[] = []
  const newIndex = new Int32Array(model.nItems).fill(-1)
  for (let i = 0; i < model.nItems; i++) {
    if (options.excluded?.[i] === 1) continue
    newIndex[i] = keep.length
    keep.push(i)
  }
  const ptr = new Int32Array(keep.length + 1)
  const cols: number[] = []
  const weights: number[] = []
  const { neighbours } = model
  for (let a = 0; a < keep.length; a++) {
    const i = keep[a]!
    const rowCols: number[] = []
    const rowWeights: number[] = []
    for (let p = neighbours.ptr[i]!; p < neighbours.ptr[i + 1]!; p++) {
      const j = newIndex[neighbours.cols[p]!]!
      if (j < 0) continue
      rowCols.push(j)
      rowWeights.push(neighbours.weights[p]!)
    }
    const top = strongest(rowWeights, k)
    const max = top.reduce((m, t) => Math.max(m, rowWeights[t]!), 0)
    for (const t of top) {
      cols.push(rowCols[t]!)
      weights.push(precision === 'u8' ? quantize(rowWeights[t]!, max, 255) : rowWeights[t]!)
    }
    ptr[a + 1] = cols.length
  }
  const pick = (v: Float64Array) => Float64Array.from(keep, (i) => v[i]!)
  const ease = servedEase(model, newIndex, keep.length, easeK, precision)
  const served: ItemModel = {
    nItems: keep.length,
    params: model.params,
    scoring: model.scoring,
    trainedAt: model.trainedAt,
    subjects: model.subjects,
    itemSubjects: pick(model.itemSubjects),
    recentSubjects: pick(model.recentSubjects),
    earlierSubjects: pick(model.earlierSubjects),
    repeatSubjects: pick(model.repeatSubjects),
    cooccurrence: ease?.together ?? noRows(keep.length),
    selfOccurrence: new Float64Array(keep.length),
    neighbours: { ptr, cols: Int32Array.from(cols), weights: Float32Array.from(weights) },
    ...(ease === undefined ? {} : { ease: ease.component }),
  }
  const catalog = servedCatalog(model, keep, options.catalog)
  const factors: [number, number][] = []
  options.itemFactors?.items.forEach((i, f) => {
    if (newIndex[i]! >= 0) factors.push([newIndex[i]!, options.itemFactors!.factors[f]!])
  })
  return {
    items: keep.map((i) => ids[i]!),
    model: served,
    catalog,
    itemFactors: itemFactorsFrom(factors),
    neighbours: k,
    precision,
  }
}

function noRows(n: number): ItemModel['cooccurrence'] {
  return { ptr: new Int32Array(n + 1), cols: new Int32Array(0), values: new Float64Array(0) }
}

/**
 * Category numbers of the kept items, and the listing time of those that can be new in an answer at
 * any time from training on: no shoppers in the model, listed after trainedAt - 30 days. Every other
 * time stays out (NaN): it may be a shopper's first event.
 */
function servedCatalog(
  model: ItemModel,
  keep: readonly number[],
  catalog: CatalogFacts | undefined,
): CatalogFacts {
  const categoryOf = Int32Array.from(keep, (i) => catalog?.categoryOf[i] ?? -1)
  const from = model.trainedAt - NEW_IN_CATEGORY_DAYS * DAY_MS
  const firstSeen = Float64Array.from(keep, (i) => {
    const t = catalog?.firstSeen[i] ?? Number.NaN
    return model.itemSubjects[i] === 0 && t > from ? t : Number.NaN
  })
  return { categoryOf, firstSeen }
}

/**
 * The EASE rows the browser gets, when the model has EASE and its scoring uses it: per modelled kept
 * item, its `k` weights of largest size (renumbered, sorted), at `precision`; and, as co-occurrence rows
 * (value 1), the kept positive pairs others bought together, which is all evidence asks of S.
 */
function servedEase(
  model: ItemModel,
  newIndex: Int32Array,
  n: number,
  k: number,
  precision: ServingPrecision,
): { component: EaseComponent; together: ItemModel['cooccurrence'] } | undefined {
  const { ease, cooccurrence: co } = model
  if (ease === undefined || !(model.scoring.personal.easeWeight > 0)) return undefined
  const m = ease.items.length
  const items: number[] = []
  const ptr = [0]
  const cols: number[] = []
  const weights: number[] = []
  const pairs: [number, number][] = []
  for (let a = 0; a < m; a++) {
    const i = ease.items[a]!
    if (newIndex[i]! < 0) continue
    const rowCols: number[] = []
    const rowWeights: number[] = []
    for (let b = 0; b < m; b++) {
      const w = ease.weights[a * m + b]!
      const j = ease.items[b]!
      if (w !== 0 && newIndex[j]! >= 0) {
        rowCols.push(j)
        rowWeights.push(w)
      }
    }
    const top = strongest(rowWeights.map(Math.abs), k)
    const max = top.reduce((x, t) => Math.max(x, Math.abs(rowWeights[t]!)), 0)
    for (const t of top) {
      const [j, w] = [rowCols[t]!, rowWeights[t]!]
      cols.push(newIndex[j]!)
      weights.push(precision === 'u8' ? quantize(w, max, 127) : w)
      if (w > 0 && binarySearch(co.cols, co.ptr[i]!, co.ptr[i + 1]!, j) >= 0)
        pairs.push([newIndex[i]!, newIndex[j]!])
    }
    items.push(newIndex[i]!)
    ptr.push(cols.length)
  }
  const rows: EaseRows = {
    ptr: Int32Array.from(ptr),
    cols: Int32Array.from(cols),
    weights: Float32Array.from(weights),
  }
  const component = { items: Int32Array.from(items), weights: new Float32Array(0), rows }
  return { component, together: pairRows(pairs, n) }
}

/** Rows (values 1) holding `pairs`, given in row order and sorted within each row. */
function pairRows(pairs: readonly [number, number][], n: number): ItemModel['cooccurrence'] {
  const ptr = new Int32Array(n + 1)
  for (const [i] of pairs) ptr[i + 1]!++
  for (let i = 0; i < n; i++) ptr[i + 1]! += ptr[i]!
  const cols = Int32Array.from(pairs, ([, j]) => j)
  return { ptr, cols, values: new Float64Array(cols.length).fill(1) }
}

/**
 * A weight as the 8-bit encoding gives it back: its share of the row's largest size, in `steps`ths
 * (neighbour weights, 255: at least 1, they are above 0; EASE weights, 127: signed).
 */
function quantize(w: number, max: number, steps: number): number {
  return Math.fround((quantStep(w, max, steps) * Math.fround(max)) / steps)
}

/** The 8-bit step of a weight, as `rowParts` writes it and `quantize` gives it back: in `steps`ths of `max`. */
function quantStep(w: number, max: number, steps: number): number {
  const q = Math.round((w / max) * steps)
  return steps === 255 ? Math.max(1, q) : q
}

/** Rows as `encodeServingModel` writes them, and `readRows` reads them. */
interface Rows {
  readonly ptr: Int32Array
  readonly cols: Int32Array
  readonly weights: Float32Array
}

/**
 * One set of rows' parts: lengths (u16), delta-coded columns, weights (f32, or a f32 scale per row and
 * each weight in `steps`ths of the row's largest size: u8 for 255, i8 for 127).
 */
function rowParts(rows: Rows, wide: boolean, precision: ServingPrecision, steps: number) {
  const n = rows.ptr.length - 1
  const nnz = rows.cols.length
  const parts: ArrayBufferView[] = [
    Uint16Array.from({ length: n }, (_, i) => rows.ptr[i + 1]! - rows.ptr[i]!),
    deltas(rows, n, wide),
  ]
  if (precision === 'f32') return [...parts, rows.weights]
  const scales = new Float32Array(n)
  const q = steps === 255 ? new Uint8Array(nnz) : new Int8Array(nnz)
  for (let i = 0; i < n; i++) {
    let max = 0
    for (let p = rows.ptr[i]!; p < rows.ptr[i + 1]!; p++)
      max = Math.max(max, Math.abs(rows.weights[p]!))
    scales[i] = max
    for (let p = rows.ptr[i]!; p < rows.ptr[i + 1]!; p++)
      q[p] = quantStep(rows.weights[p]!, max, steps)
  }
  return [...parts, scales, q]
}

/** The bytes of a serving model (see the layout above). */
export function encodeServingModel(served: ServingModel): Uint8Array {
  const m = served.model
  const n = m.nItems
  const ease = m.ease?.rows
  const { categoryOf, firstSeen } = served.catalog
  const fresh: [number, number][] = []
  firstSeen.forEach((t, i) => (Number.isNaN(t) ? undefined : fresh.push([i, t])))
  const header: Header = {
    format: 2,
    trainedAt: m.trainedAt,
    subjects: m.subjects,
    params: m.params,
    scoring: m.scoring,
    neighbours: served.neighbours,
    precision: served.precision,
    nnz: m.neighbours.cols.length,
    items: [...served.items],
    categoryOf: Array.from(categoryOf),
    fresh,
    factors: Array.from(served.itemFactors.items, (i, k) => [i, served.itemFactors.factors[k]!]),
    ...(ease === undefined ? {} : { ease: { items: m.ease!.items.length, nnz: ease.cols.length } }),
  }
  const head = new TextEncoder().encode(JSON.stringify(header))
  const wide = n > 65_536
  const parts: ArrayBufferView[] = [
    ...[m.itemSubjects, m.recentSubjects, m.earlierSubjects, m.repeatSubjects].map(counts),
    ...rowParts(m.neighbours, wide, served.precision, 255),
  ]
  if (ease !== undefined) {
    const items = m.ease!.items
    const co = m.cooccurrence
    const together = new Uint8Array(ease.cols.length)
    items.forEach((i, a) => {
      for (let p = ease.ptr[a]!; p < ease.ptr[a + 1]!; p++)
        together[p] = binarySearch(co.cols, co.ptr[i]!, co.ptr[i + 1]!, ease.cols[p]!) >= 0 ? 1 : 0
    })
    parts.push(Uint32Array.from(items), ...rowParts(ease, wide, served.precision, 127), together)
  }
  let size = align(12 + head.length)
  for (const part of parts) size = align(size + part.byteLength)
  const out = new Uint8Array(size)
  out.set(new TextEncoder().encode(MAGIC), 0)
  new DataView(out.buffer).setUint32(8, head.length, true)
  out.set(head, 12)
  let at = align(12 + head.length)
  for (const part of parts) {
    out.set(new Uint8Array(part.buffer, part.byteOffset, part.byteLength), at)
    at = align(at + part.byteLength)
  }
  return out
}

function align(n: number): number {
  return (n + 3) & ~3
}

function counts(v: Float64Array): Uint32Array {
  return Uint32Array.from(v, (c) => {
    if (!(c >= 0 && c <= 0xffffffff && Number.isInteger(c)))
      throw new RangeError('counts must be integers')
    return c
  })
}

function deltas(rows: Rows, n: number, wide: boolean): Uint16Array | Uint32Array {
  const out = wide ? new Uint32Array(rows.cols.length) : new Uint16Array(rows.cols.length)
  for (let i = 0; i < n; i++) {
    let prev = 0
    for (let p = rows.ptr[i]!; p < rows.ptr[i + 1]!; p++) {
      out[p] = rows.cols[p]! - prev
      prev = rows.cols[p]!
    }
  }
  return out
}

/** Takes `byteLength` bytes as a typed array made by `make`, from where the last one ended. */
type Take = <T>(make: (b: ArrayBuffer) => T, byteLength: number) => T

/** Reads what `rowParts` wrote: `n` rows, `nnz` weights. */
function readRows(
  take: Take,
  n: number,
  nnz: number,
  wide: boolean,
  precision: ServingPrecision,
  steps: number,
): Rows {
  const lengths = take((b) => new Uint16Array(b), 2 * n)
  const d = wide
    ? take((b) => new Uint32Array(b), 4 * nnz)
    : take((b) => new Uint16Array(b), 2 * nnz)
  const ptr = new Int32Array(n + 1)
  const cols = new Int32Array(nnz)
  for (let i = 0; i < n; i++) {
    ptr[i + 1] = ptr[i]! + lengths[i]!
    let prev = 0
    for (let p = ptr[i]!; p < ptr[i + 1]!; p++) cols[p] = prev = prev + d[p]!
  }
  if (precision === 'f32') return { ptr, cols, weights: take((b) => new Float32Array(b), 4 * nnz) }
  const scales = take((b) => new Float32Array(b), 4 * n)
  const q = take((b) => (steps === 255 ? new Uint8Array(b) : new Int8Array(b)), nnz)
  const weights = new Float32Array(nnz)
  for (let i = 0; i < n; i++)
    for (let p = ptr[i]!; p < ptr[i + 1]!; p++) weights[p] = (q[p]! * scales[i]!) / steps
  return { ptr, cols, weights }
}

/**
 * Reads the bytes `encodeServingModel` wrote (little-endian hosts: every browser and server Candor
 * runs on). Throws a `RangeError` on anything else (another magic or format, or truncated).
 */
export function decodeServingModel(bytes: Uint8Array): ServingModel {
  if (new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) throw new RangeError(BAD)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const headLength = view.getUint32(8, true)
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + headLength))) as Header
  if (header.format !== 2) throw new RangeError(BAD)
  const n = header.items.length
  let at = align(12 + headLength)
  // Copies: the input's offset need not suit a typed array's alignment.
  const take: Take = (make, byteLength) => {
    const copy = bytes.slice(at, at + byteLength)
    if (copy.byteLength !== byteLength) throw new RangeError(BAD)
    at = align(at + byteLength)
    return make(copy.buffer)
  }
  const count = () => Float64Array.from(take((b) => new Uint32Array(b), 4 * n))
  const itemSubjects = count()
  const recentSubjects = count()
  const earlierSubjects = count()
  const repeatSubjects = count()
  const wide = n > 65_536
  const neighbours = readRows(take, n, header.nnz, wide, header.precision, 255)
  let cooccurrence = pairRows([], n)
  let ease: EaseComponent | undefined
  if (header.ease !== undefined) {
    const { items: m, nnz } = header.ease
    const items = Int32Array.from(take((b) => new Uint32Array(b), 4 * m))
    const rows = readRows(take, m, nnz, wide, header.precision, 127)
    const together = take((b) => new Uint8Array(b), nnz)
    const pairs: [number, number][] = []
    for (let a = 0; a < m; a++)
      for (let p = rows.ptr[a]!; p < rows.ptr[a + 1]!; p++)
        if (together[p] === 1) pairs.push([items[a]!, rows.cols[p]!])
    cooccurrence = pairRows(pairs, n)
    ease = { items, weights: new Float32Array(0), rows }
  }
  const model: ItemModel = {
    nItems: n,
    params: header.params,
    scoring: header.scoring,
    trainedAt: header.trainedAt,
    subjects: header.subjects,
    itemSubjects,
    recentSubjects,
    earlierSubjects,
    repeatSubjects,
    cooccurrence,
    selfOccurrence: new Float64Array(n),
    neighbours,
    ...(ease === undefined ? {} : { ease }),
  }
  const firstSeen = new Float64Array(n).fill(Number.NaN)
  for (const [i, t] of header.fresh) firstSeen[i] = t
  const categoryOf = Int32Array.from(header.categoryOf)
  return {
    items: header.items,
    model,
    catalog: { categoryOf, firstSeen },
    itemFactors: itemFactorsFrom(header.factors),
    neighbours: header.neighbours,
    precision: header.precision,
  }
}
