/**
 * A model state as bytes, for the stored model (`model.store.ts`): the item model in its own compact
 * layout (`serializeItemModel`: narrowed arrays, the co-occurrence's upper triangle), and the rest
 * (ids, the interactions erasure subtracts with, the catalog and its masks, the run) in V8's structured
 * serialization (`node:v8`), which writes typed arrays as their raw bytes.
 *
 * Only the subjects the state still holds are written: a subject subtracted from the model leaves no id
 * and no history in the bytes.
 */
import v8 from 'node:v8'
import { startModuleWorker } from './training.js'
import type { Item } from '../catalog/index.js'
import {
  type Interactions,
  createIdIndex,
  deserializeItemModel,
  serializeItemModel,
} from './engine/index.js'
import type { ModelState } from './model.state.js'
import type { TrainingRun } from './recommend.repository.js'

/** Bumped when the layout changes; a process that cannot read a stored version trains instead. */
const FORMAT = 'candor-model-state/1'

interface Encoded {
  format: typeof FORMAT
  model: Uint8Array
  itemIds: string[]
  subjectIds: string[]
  interactions: Interactions
  catalog: Item[]
  excluded: Uint8Array
  unavailable: Uint8Array
  firstSeen: Float64Array
  trainedExcluded?: Uint8Array
  catalogSince?: number
  run: TrainingRun
}

/** The interactions of the subjects still held, rows in their old order; the new row of each id. */
function heldRows(s: ModelState): { interactions: Interactions; subjectIds: string[] } {
  const held = [...s.subjects].sort((a, b) => a[1] - b[1])
  const from = s.interactions
  const subjectPtr = new Int32Array(held.length + 1)
  for (const [k, [, row]] of held.entries())
    subjectPtr[k + 1] = subjectPtr[k]! + from.subjectPtr[row + 1]! - from.subjectPtr[row]!
  const n = subjectPtr[held.length]!
  const items = new Int32Array(n)
  const times = new Float64Array(n)
  const weights = new Float32Array(n)
  for (const [k, [, row]] of held.entries()) {
    const start = from.subjectPtr[row]!
    const end = from.subjectPtr[row + 1]!
    items.set(from.items.subarray(start, end), subjectPtr[k])
    times.set(from.times.subarray(start, end), subjectPtr[k])
    weights.set(from.weights.subarray(start, end), subjectPtr[k])
  }
  return {
    interactions: {
      nSubjects: held.length,
      nItems: from.nItems,
      subjectPtr,
      items,
      times,
      weights,
    },
    subjectIds: held.map(([id]) => id),
  }
}

/** Encodes a model state (what answers and erasure need; the per-question caches are rebuilt). */
export function encodeModelState(s: ModelState): Buffer {
  const { interactions, subjectIds } = heldRows(s)
  const encoded: Encoded = {
    format: FORMAT,
    model: serializeItemModel(s.model),
    itemIds: s.items.ids as string[],
    subjectIds,
    interactions,
    catalog: [...s.catalog.values()],
    excluded: s.excluded,
    unavailable: s.unavailable,
    firstSeen: s.firstSeen,
    ...(s.trainedExcluded === undefined ? {} : { trainedExcluded: s.trainedExcluded }),
    ...(s.catalogSince === undefined ? {} : { catalogSince: s.catalogSince }),
    run: s.run,
  }
  return v8.serialize(encoded)
}

/** Decodes bytes written by `encodeModelState`; throws on anything else (or another format). */
export function decodeModelState(bytes: Uint8Array): ModelState {
  const e = v8.deserialize(bytes) as Partial<Encoded> | undefined
  if (e?.format !== FORMAT) throw new Error('not a stored model state of this format')
  const d = e as Encoded
  return {
    items: createIdIndex(d.itemIds),
    catalog: new Map(d.catalog.map((item) => [item.id, item])),
    model: deserializeItemModel(d.model),
    // Copies: the decoded arrays are views of the whole input, which would otherwise stay in memory.
    interactions: {
      ...d.interactions,
      subjectPtr: d.interactions.subjectPtr.slice(),
      items: d.interactions.items.slice(),
      times: d.interactions.times.slice(),
      weights: d.interactions.weights.slice(),
    },
    subjects: new Map(d.subjectIds.map((id, row) => [id, row])),
    excluded: d.excluded.slice(),
    unavailable: d.unavailable.slice(),
    firstSeen: d.firstSeen.slice(),
    run: d.run,
    masks: new Map(),
    offRankings: new Map(),
    ...(d.trainedExcluded === undefined ? {} : { trainedExcluded: d.trainedExcluded.slice() }),
    ...(d.catalogSince === undefined ? {} : { catalogSince: d.catalogSince }),
  }
}

/**
 * `decodeModelState` in a worker thread of its own (`model.load.worker.ts`), so that the event loop keeps
 * serving while a stored model of some size is decoded (UCI's: 1-1.5 s). The bytes are moved to the
 * thread (empty here afterwards), the state's arrays moved back.
 */
export function decodeOffThread(bytes: Uint8Array): Promise<ModelState> {
  return new Promise<ModelState>((resolve, reject) => {
    let settled = false
    const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
    const moved = own ? bytes : bytes.slice()
    const worker = startModuleWorker('model.load.worker', {
      workerData: { bytes: moved },
      transferList: [moved.buffer as ArrayBuffer],
    })
    worker.once('message', (state: Omit<ModelState, 'masks' | 'offRankings'>) => {
      settled = true
      resolve({ ...state, masks: new Map(), offRankings: new Map() })
      void worker.terminate()
    })
    worker.once('error', (error) => {
      settled = true
      reject(error)
    })
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`the model-loading worker stopped (exit code ${code})`))
    })
  })
}
