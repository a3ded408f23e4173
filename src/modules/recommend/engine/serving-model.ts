/**
 * The serving model: the part of an item model that ranks the `personal` level, compact enough for a
 * browser to fetch (the `on_device` level ranks there with this same engine code). It keeps, per item,
 * its top neighbours, its popularity counts and its repeat propensity, plus the scoring parameters
 * training chose; it drops the co-occurrence statistics that only training and erasure need, and every
 * item the caller marks as excluded (special categories: the model is everyone's, nobody's data).
 *
 * Two knobs trade size for fidelity: `neighbours` (keep the k strongest per row) and `precision`
 * (`f32`: the weights as the model holds them, so the ranking is exactly the server's; `u8`: each row's
 * weights scaled to its largest and rounded to 1..255). `npm run bench:model-size` measures both.
 *
 * The EASE component (a dense M x M matrix) is never included: when training chose it, the served
 * scoring sets `easeWeight` to 0, and the browser ranks with the item neighbours alone.
 *
 * Binary layout (little-endian, every array 4-aligned): magic `CNDRSM01`, u32 header length, the header
 * (JSON: items, counts, parameters), then itemSubjects, recentSubjects, earlierSubjects, repeatSubjects
 * (u32 each), row lengths (u16), columns delta-coded within each row (u16, or u32 past 65,536 items),
 * weights (f32, or u8 with a f32 scale per row).
 */
import type { ItemModel } from './item-model.js'
import type { ItemModelParams, ScoringParams } from './params.js'
import { selectTopK } from './top-k.js'

export type ServingPrecision = 'f32' | 'u8'

export interface ServingOptions {
  /** Neighbours kept per item (at most the model's own); default: all the model has. */
  readonly neighbours?: number
  /** Default `f32`. */
  readonly precision?: ServingPrecision
  /** 1 = left out of the serving model (special-category items). */
  readonly excluded?: Uint8Array
}

/** A serving model as the browser (and the server, for comparison) ranks with it. */
export interface ServingModel {
  /** Item ids by index of `model`. */
  readonly items: readonly string[]
  readonly model: ItemModel
  readonly neighbours: number
  readonly precision: ServingPrecision
}

interface Header {
  format: 1
  trainedAt: number
  subjects: number
  params: ItemModelParams
  scoring: ScoringParams
  neighbours: number
  precision: ServingPrecision
  nnz: number
  items: string[]
}

const MAGIC = 'CNDRSM01'

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
    const top = Array.from(selectTopK(Float64Array.from(rowWeights), k)).sort((x, y) => x - y)
    const max = top.reduce((m, t) => Math.max(m, rowWeights[t]!), 0)
    for (const t of top) {
      cols.push(rowCols[t]!)
      weights.push(precision === 'u8' ? quantize(rowWeights[t]!, max) : rowWeights[t]!)
    }
    ptr[a + 1] = cols.length
  }
  const pick = (v: Float64Array) => Float64Array.from(keep, (i) => v[i]!)
  const served: ItemModel = {
    nItems: keep.length,
    params: model.params,
    scoring: withoutEase(model),
    trainedAt: model.trainedAt,
    subjects: model.subjects,
    itemSubjects: pick(model.itemSubjects),
    recentSubjects: pick(model.recentSubjects),
    earlierSubjects: pick(model.earlierSubjects),
    repeatSubjects: pick(model.repeatSubjects),
    cooccurrence: {
      ptr: new Int32Array(keep.length + 1),
      cols: new Int32Array(0),
      values: new Float64Array(0),
    },
    selfOccurrence: new Float64Array(keep.length),
    neighbours: { ptr, cols: Int32Array.from(cols), weights: Float32Array.from(weights) },
  }
  return { items: keep.map((i) => ids[i]!), model: served, neighbours: k, precision }
}

/** A weight as the u8 encoding gives it back: its share of the row's largest, in 255ths (at least 1). */
function quantize(w: number, max: number): number {
  return Math.fround((Math.max(1, Math.round((w / max) * 255)) * Math.fround(max)) / 255)
}

function withoutEase(model: ItemModel): ScoringParams {
  const { personal } = model.scoring
  return personal.easeWeight > 0
    ? { ...model.scoring, personal: { ...personal, easeWeight: 0 } }
    : model.scoring
}

/** The bytes of a serving model (see the layout above). */
export function encodeServingModel(served: ServingModel): Uint8Array {
  const m = served.model
  const n = m.nItems
  const nnz = m.neighbours.cols.length
  const header: Header = {
    format: 1,
    trainedAt: m.trainedAt,
    subjects: m.subjects,
    params: m.params,
    scoring: m.scoring,
    neighbours: served.neighbours,
    precision: served.precision,
    nnz,
    items: [...served.items],
  }
  const head = new TextEncoder().encode(JSON.stringify(header))
  const wide = n > 65_536
  const parts: ArrayBufferView[] = [
    ...[m.itemSubjects, m.recentSubjects, m.earlierSubjects, m.repeatSubjects].map(counts),
    Uint16Array.from({ length: n }, (_, i) => m.neighbours.ptr[i + 1]! - m.neighbours.ptr[i]!),
    deltas(m.neighbours, n, wide),
  ]
  if (served.precision === 'f32') parts.push(m.neighbours.weights)
  else {
    const scales = new Float32Array(n)
    const q = new Uint8Array(nnz)
    for (let i = 0; i < n; i++) {
      let max = 0
      for (let p = m.neighbours.ptr[i]!; p < m.neighbours.ptr[i + 1]!; p++)
        max = Math.max(max, m.neighbours.weights[p]!)
      scales[i] = max
      for (let p = m.neighbours.ptr[i]!; p < m.neighbours.ptr[i + 1]!; p++)
        q[p] = Math.max(1, Math.round((m.neighbours.weights[p]! / max) * 255))
    }
    parts.push(scales, q)
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

function deltas(
  rows: ItemModel['neighbours'],
  n: number,
  wide: boolean,
): Uint16Array | Uint32Array {
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

/**
 * Reads the bytes `encodeServingModel` wrote (little-endian hosts: every browser and server Candor
 * runs on). Throws a `RangeError` on anything else.
 */
export function decodeServingModel(bytes: Uint8Array): ServingModel {
  if (new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC)
    throw new RangeError('not a Candor serving model')
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const headLength = view.getUint32(8, true)
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + headLength))) as Header
  if (header.format !== 1) throw new RangeError('unknown serving model format')
  const n = header.items.length
  const { nnz } = header
  let at = align(12 + headLength)
  // Copies: the input's offset need not suit a typed array's alignment.
  function take<T>(make: (b: ArrayBuffer) => T, byteLength: number): T {
    const copy = bytes.slice(at, at + byteLength)
    if (copy.byteLength !== byteLength) throw new RangeError('serving model truncated')
    at = align(at + byteLength)
    return make(copy.buffer)
  }
  const count = () => Float64Array.from(take((b) => new Uint32Array(b), 4 * n))
  const itemSubjects = count()
  const recentSubjects = count()
  const earlierSubjects = count()
  const repeatSubjects = count()
  const lengths = take((b) => new Uint16Array(b), 2 * n)
  const wide = n > 65_536
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
  let weights: Float32Array
  if (header.precision === 'f32') weights = take((b) => new Float32Array(b), 4 * nnz)
  else {
    const scales = take((b) => new Float32Array(b), 4 * n)
    const q = take((b) => new Uint8Array(b), nnz)
    weights = new Float32Array(nnz)
    for (let i = 0; i < n; i++)
      for (let p = ptr[i]!; p < ptr[i + 1]!; p++) weights[p] = (q[p]! * scales[i]!) / 255
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
    cooccurrence: {
      ptr: new Int32Array(n + 1),
      cols: new Int32Array(0),
      values: new Float64Array(0),
    },
    selfOccurrence: new Float64Array(n),
    neighbours: { ptr, cols, weights },
  }
  return { items: header.items, model, neighbours: header.neighbours, precision: header.precision }
}
