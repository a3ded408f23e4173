/**
 * A trained model as bytes, so the service can keep it in the database. Layout (little-endian):
 * the 8 ASCII bytes `CNDRIM01`, a uint32 header length, a UTF-8 JSON header (scalars and array
 * lengths), zero padding to a multiple of 8, then each array's raw bytes, each padded to 8.
 * The co-occurrence is stored as its upper triangle only (it is symmetric) and mirrored on load.
 */
import { mirrorUpper, type ItemModel, type ItemModelParams, type SparseRows } from './item-model.js'
import {
  DEFAULT_ITEM_MODEL_PARAMS,
  DEFAULT_PERSONAL_PARAMS,
  DEFAULT_SCORING_PARAMS,
  DEFAULT_SESSION_PARAMS,
  type ScoringParams,
} from './params.js'

const MAGIC = 'CNDRIM01'

type Typed = Int32Array | Float32Array | Float64Array
type Stored = Typed | Uint16Array | Uint32Array
type StorageType = 'i32' | 'f32' | 'f64' | 'u16' | 'u32'
type MemoryType = 'i32' | 'f32' | 'f64'

interface Header {
  nItems: number
  params: ItemModelParams
  /** Absent in models written before scoring parameters were tuned per shop: the defaults. */
  scoring?: ScoringParams
  trainedAt: number
  subjects: number
  /** `type` is how an array is stored, `as` what it is in memory (narrowed when lossless). */
  arrays: { name: string; type: StorageType; as: MemoryType; length: number }[]
}

function assertLittleEndian(): void {
  if (new Uint8Array(Uint16Array.of(1).buffer)[0] !== 1) {
    throw new Error('model serialization needs a little-endian platform')
  }
}

function typeOf(a: Stored): StorageType {
  if (a instanceof Int32Array) return 'i32'
  if (a instanceof Float32Array) return 'f32'
  if (a instanceof Uint16Array) return 'u16'
  if (a instanceof Uint32Array) return 'u32'
  return 'f64'
}

const WIDTH: Record<StorageType, number> = { i32: 4, f32: 4, f64: 8, u16: 2, u32: 4 }

/**
 * Item indices fit 16 bits in most catalogs, and the statistics are integers that usually fit 32:
 * store them narrower when that loses nothing (the model of UCI shrinks by about half).
 */
function narrow(a: Typed, nItems: number, isIndex: boolean): Stored {
  if (isIndex && a instanceof Int32Array && nItems <= 0x10000) return Uint16Array.from(a)
  if (a instanceof Float64Array) {
    for (let k = 0; k < a.length; k++) {
      const v = a[k]!
      if (!(Number.isInteger(v) && v >= 0 && v <= 0xffffffff)) return a
    }
    return Uint32Array.from(a)
  }
  return a
}

function widen(raw: ArrayBuffer, type: StorageType, as: MemoryType): Typed {
  const stored: Stored =
    type === 'i32'
      ? new Int32Array(raw)
      : type === 'f32'
        ? new Float32Array(raw)
        : type === 'u16'
          ? new Uint16Array(raw)
          : type === 'u32'
            ? new Uint32Array(raw)
            : new Float64Array(raw)
  if (typeOf(stored) === as) return stored as Typed
  return as === 'i32'
    ? Int32Array.from(stored)
    : as === 'f32'
      ? Float32Array.from(stored)
      : Float64Array.from(stored)
}

const pad8 = (n: number): number => (n + 7) & ~7

function upperTriangle(co: SparseRows): SparseRows {
  const n = co.ptr.length - 1
  const ptr = new Int32Array(n + 1)
  for (let i = 0; i < n; i++) {
    let count = 0
    for (let p = co.ptr[i]!; p < co.ptr[i + 1]!; p++) if (co.cols[p]! > i) count++
    ptr[i + 1] = ptr[i]! + count
  }
  const cols = new Int32Array(ptr[n]!)
  const values = new Float64Array(ptr[n]!)
  let at = 0
  for (let i = 0; i < n; i++) {
    for (let p = co.ptr[i]!; p < co.ptr[i + 1]!; p++) {
      if (co.cols[p]! <= i) continue
      cols[at] = co.cols[p]!
      values[at] = co.values[p]!
      at++
    }
  }
  return { ptr, cols, values }
}

/** Encodes a model. */
export function serializeItemModel(model: ItemModel): Uint8Array {
  assertLittleEndian()
  const upper = upperTriangle(model.cooccurrence)
  const memory: [string, Typed, boolean][] = [
    ['itemSubjects', model.itemSubjects, false],
    ['recentSubjects', model.recentSubjects, false],
    ['earlierSubjects', model.earlierSubjects, false],
    ['repeatSubjects', model.repeatSubjects, false],
    ['coPtr', upper.ptr, false],
    ['coCols', upper.cols, true],
    ['coValues', upper.values, false],
    ['nbPtr', model.neighbours.ptr, false],
    ['nbCols', model.neighbours.cols, true],
    ['nbWeights', model.neighbours.weights, false],
    ['selfOccurrence', model.selfOccurrence, false],
    ...(model.ease === undefined
      ? []
      : ([
          ['easeItems', model.ease.items, true],
          ['easeWeights', model.ease.weights, false],
        ] as [string, Typed, boolean][])),
  ]
  const arrays = memory.map(([name, a, isIndex]): [string, Stored] => [
    name,
    narrow(a, model.nItems, isIndex),
  ])
  const header: Header = {
    nItems: model.nItems,
    params: model.params,
    scoring: model.scoring,
    trainedAt: model.trainedAt,
    subjects: model.subjects,
    arrays: arrays.map(([name, a], k) => ({
      name,
      type: typeOf(a),
      as: typeOf(memory[k]![1]) as MemoryType,
      length: a.length,
    })),
  }
  const json = new TextEncoder().encode(JSON.stringify(header))
  let size = pad8(12 + json.length)
  for (const [, a] of arrays) size += pad8(a.byteLength)
  const out = new Uint8Array(size)
  out.set(new TextEncoder().encode(MAGIC), 0)
  new DataView(out.buffer).setUint32(8, json.length, true)
  out.set(json, 12)
  let at = pad8(12 + json.length)
  for (const [, a] of arrays) {
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), at)
    at += pad8(a.byteLength)
  }
  return out
}

/** Decodes bytes written by `serializeItemModel`; throws on anything else. */
export function deserializeItemModel(bytes: Uint8Array): ItemModel {
  assertLittleEndian()
  if (bytes.length < 12 || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) {
    throw new Error('not a Candor item model')
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const jsonLength = view.getUint32(8, true)
  if (12 + jsonLength > bytes.length) throw new Error('truncated item model header')
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + jsonLength))) as Header
  const arrays = new Map<string, Typed>()
  let at = pad8(12 + jsonLength)
  for (const spec of header.arrays) {
    const width = WIDTH[spec.type]
    if (width === undefined) throw new Error(`unknown array type ${String(spec.type)}`)
    const byteLength = spec.length * width
    if (at + byteLength > bytes.length) throw new Error(`truncated item model array ${spec.name}`)
    // Copy: the input may not be aligned for a typed-array view.
    arrays.set(spec.name, widen(bytes.slice(at, at + byteLength).buffer, spec.type, spec.as))
    at += pad8(byteLength)
  }
  const get = <T extends Typed>(name: string, ctor: new (...args: never[]) => T): T => {
    const a = arrays.get(name)
    if (!(a instanceof ctor)) throw new Error(`item model array ${name} missing or mistyped`)
    return a
  }
  const n = header.nItems
  const itemSubjects = get('itemSubjects', Float64Array)
  const nbPtr = get('nbPtr', Int32Array)
  const coPtr = get('coPtr', Int32Array)
  if (itemSubjects.length !== n || nbPtr.length !== n + 1 || coPtr.length !== n + 1) {
    throw new Error('item model arrays do not match nItems')
  }
  // Models written before a parameter existed were trained and scored as its default says.
  const scoring = header.scoring ?? DEFAULT_SCORING_PARAMS
  const easeItems = arrays.has('easeItems') ? get('easeItems', Int32Array) : undefined
  return {
    nItems: n,
    params: Object.freeze({ ...DEFAULT_ITEM_MODEL_PARAMS, ...header.params }),
    scoring: {
      personal: { ...DEFAULT_PERSONAL_PARAMS, ...scoring.personal },
      session: { ...DEFAULT_SESSION_PARAMS, ...scoring.session },
    },
    trainedAt: header.trainedAt,
    subjects: header.subjects,
    itemSubjects,
    recentSubjects: get('recentSubjects', Float64Array),
    earlierSubjects: get('earlierSubjects', Float64Array),
    repeatSubjects: get('repeatSubjects', Float64Array),
    cooccurrence: mirrorUpper({
      ptr: coPtr,
      cols: get('coCols', Int32Array),
      values: get('coValues', Float64Array),
    }),
    // Absent in models written before EASE; they have no EASE component to refit.
    selfOccurrence: arrays.has('selfOccurrence')
      ? get('selfOccurrence', Float64Array)
      : new Float64Array(n),
    neighbours: {
      ptr: nbPtr,
      cols: get('nbCols', Int32Array),
      weights: get('nbWeights', Float32Array),
    },
    ...(easeItems === undefined
      ? {}
      : { ease: { items: easeItems, weights: get('easeWeights', Float32Array) } }),
  }
}
