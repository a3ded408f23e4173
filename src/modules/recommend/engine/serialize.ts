/**
 * A trained model as bytes, so the service can keep it in the database. Layout (little-endian):
 * the 8 ASCII bytes `CNDRIM01`, a uint32 header length, a UTF-8 JSON header (scalars and array
 * lengths), zero padding to a multiple of 8, then each array's raw bytes, each padded to 8.
 * The co-occurrence is stored as its upper triangle only (it is symmetric) and mirrored on load.
 */
import { mirrorUpper, type ItemModel, type ItemModelParams, type SparseRows } from './item-model.js'

const MAGIC = 'CNDRIM01'

type Typed = Int32Array | Float32Array | Float64Array

interface Header {
  nItems: number
  params: ItemModelParams
  trainedAt: number
  subjects: number
  arrays: { name: string; type: 'i32' | 'f32' | 'f64'; length: number }[]
}

function assertLittleEndian(): void {
  if (new Uint8Array(Uint16Array.of(1).buffer)[0] !== 1) {
    throw new Error('model serialization needs a little-endian platform')
  }
}

function typeOf(a: Typed): 'i32' | 'f32' | 'f64' {
  if (a instanceof Int32Array) return 'i32'
  if (a instanceof Float32Array) return 'f32'
  return 'f64'
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
  const arrays: [string, Typed][] = [
    ['itemSubjects', model.itemSubjects],
    ['recentSubjects', model.recentSubjects],
    ['earlierSubjects', model.earlierSubjects],
    ['repeatSubjects', model.repeatSubjects],
    ['coPtr', upper.ptr],
    ['coCols', upper.cols],
    ['coValues', upper.values],
    ['nbPtr', model.neighbours.ptr],
    ['nbCols', model.neighbours.cols],
    ['nbWeights', model.neighbours.weights],
  ]
  const header: Header = {
    nItems: model.nItems,
    params: model.params,
    trainedAt: model.trainedAt,
    subjects: model.subjects,
    arrays: arrays.map(([name, a]) => ({ name, type: typeOf(a), length: a.length })),
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
    const width = spec.type === 'f64' ? 8 : 4
    const byteLength = spec.length * width
    if (at + byteLength > bytes.length) throw new Error(`truncated item model array ${spec.name}`)
    // Copy: the input may not be aligned for a typed-array view.
    const raw = bytes.slice(at, at + byteLength).buffer
    arrays.set(
      spec.name,
      spec.type === 'i32'
        ? new Int32Array(raw)
        : spec.type === 'f32'
          ? new Float32Array(raw)
          : new Float64Array(raw),
    )
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
  return {
    nItems: n,
    params: Object.freeze({ ...header.params }),
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
    neighbours: {
      ptr: nbPtr,
      cols: get('nbCols', Int32Array),
      weights: get('nbWeights', Float32Array),
    },
  }
}
