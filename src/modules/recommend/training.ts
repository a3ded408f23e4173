/**
 * Training's data and where its CPU part runs. The service streams consented events into compact
 * columns (`createEventColumns`, `createGrowingIdIndex`: about 20 bytes an event, where an event object
 * took about 1 KB), and `trainOffThread` runs the CPU part (`runTrainingJob`: the CSR structure, first-seen
 * times, `trainShop`'s tuning and model) in a worker thread, so the server keeps answering meanwhile.
 * The columns are moved to the worker, not copied, and the model's arrays are moved back.
 */
import type { FederatedPairs } from './engine/federated.js'
import { Worker, type WorkerOptions } from 'node:worker_threads'
import {
  type EventColumns,
  type IdIndex,
  type Interactions,
  type ItemModel,
  type TuningReport,
  buildInteractions,
  firstSeenTimes,
  trainShop,
} from './engine/index.js'

/** What the CPU part of training needs: plain data and typed arrays, so it can cross to a thread. */
export interface TrainingJob {
  /** One entry per consented event, indices into the subject and item indices. */
  readonly events: Required<EventColumns>
  readonly nSubjects: number
  readonly nItems: number
  /** Training time (ms). */
  readonly now: number
  /** Special-category items (1 = never model input). */
  readonly excluded: Uint8Array
  /** When each catalog item was listed (ms; NaN for an item not in the catalog). */
  readonly listed: Float64Array
  /** false: train with the documented defaults, no search (benchmarks); default true. */
  readonly tune?: boolean
  /** Pair counts estimated from federated reports, added to the final model's co-occurrence. */
  readonly federated?: FederatedPairs
}

export interface TrainingResult {
  readonly interactions: Interactions
  /** Per item, the earlier of its first event and its listing (ms; NaN: neither). */
  readonly firstSeen: Float64Array
  readonly model: ItemModel
  readonly report: TuningReport
}

/** Runs a training job: the signature of `trainOffThread` and of `trainInThread`. */
export type Trainer = (
  job: TrainingJob,
  onProgress?: (done: number, total: number) => void,
) => Promise<TrainingResult>

/** A string-id index that grows as ids arrive, in first-seen order (as `createIdIndex` numbers them). */
export interface GrowingIdIndex extends IdIndex {
  /** The index of `id`, added at the end when new. */
  add(id: string): number
}

export function createGrowingIdIndex(initial: Iterable<string> = []): GrowingIdIndex {
  const ids: string[] = []
  const byId = new Map<string, number>()
  const add = (id: string): number => {
    let i = byId.get(id)
    if (i === undefined) {
      i = ids.length
      byId.set(id, i)
      ids.push(id)
    }
    return i
  }
  for (const id of initial) add(id)
  return { ids, byId, add }
}

/**
 * Lets the event loop run (timers, requests) when `everyMs` have passed since it last did. Reading
 * training's events awaits promises that better-sqlite3 settles at once, so, however many pages and
 * consent checks there are, nothing else would run until the read ends: the reader calls this between
 * steps.
 */
export function createEventLoopYield(everyMs = 20): () => Promise<void> {
  let last = performance.now()
  return async () => {
    if (performance.now() - last < everyMs) return
    await new Promise<void>((resolve) => setImmediate(resolve))
    last = performance.now()
  }
}

/** Event columns that grow (doubling) as events are pushed. */
export interface EventColumnsBuilder {
  readonly length: number
  push(subject: number, item: number, time: number, weight: number): void
  /** Views of the first `length` entries (no copy: the arrays behind them may be longer). */
  columns(): Required<EventColumns>
}

export function createEventColumns(capacity = 1 << 14): EventColumnsBuilder {
  let subjects = new Int32Array(capacity)
  let items = new Int32Array(capacity)
  let times = new Float64Array(capacity)
  let weights = new Float32Array(capacity)
  let length = 0
  const grown = <T extends Int32Array | Float64Array | Float32Array>(
    old: T,
    make: (n: number) => T,
  ) => {
    const next = make(old.length * 2)
    next.set(old)
    return next
  }
  return {
    get length() {
      return length
    },
    push(subject, item, time, weight) {
      if (length === subjects.length) {
        subjects = grown(subjects, (n) => new Int32Array(n))
        items = grown(items, (n) => new Int32Array(n))
        times = grown(times, (n) => new Float64Array(n))
        weights = grown(weights, (n) => new Float32Array(n))
      }
      subjects[length] = subject
      items[length] = item
      times[length] = time
      weights[length] = weight
      length += 1
    },
    columns: () => ({
      subjects: subjects.subarray(0, length),
      items: items.subarray(0, length),
      times: times.subarray(0, length),
      weights: weights.subarray(0, length),
    }),
  }
}

/**
 * The CPU part of training, on whichever thread calls it: events by subject (CSR), each item's first
 * sighting (its first event, or its listing when earlier), then `trainShop` (tuning and the model).
 */
export function runTrainingJob(
  job: TrainingJob,
  onProgress?: (done: number, total: number) => void,
): TrainingResult {
  const interactions = buildInteractions(job.events, job.nSubjects, job.nItems)
  const firstSeen = firstSeenTimes(interactions)
  for (let i = 0; i < job.nItems; i++) {
    const listed = job.listed[i]!
    if (!Number.isNaN(listed) && !(firstSeen[i]! <= listed)) firstSeen[i] = listed
  }
  const { model, report } = trainShop(interactions, {
    now: job.now,
    excluded: job.excluded,
    firstSeen,
    ...(job.tune === undefined ? {} : { tune: job.tune }),
    ...(job.federated === undefined ? {} : { federated: job.federated }),
    ...(onProgress === undefined ? {} : { onProgress }),
  })
  return { interactions, firstSeen, model, report }
}

/** `runTrainingJob` on the caller's thread, as a `Trainer` (tests compare it with `trainOffThread`). */
export const trainInThread: Trainer = async (job, onProgress) => runTrainingJob(job, onProgress)

/**
 * The buffers behind every typed array in `value` (plain objects and arrays, walked), each once: what
 * `postMessage` moves instead of copying. A moved buffer is left empty (detached) on the sender's side.
 */
export function transferablesOf(value: unknown): ArrayBuffer[] {
  const found = new Set<ArrayBuffer>()
  const walk = (v: unknown): void => {
    if (typeof v !== 'object' || v === null) return
    if (ArrayBuffer.isView(v)) {
      if (v.buffer instanceof ArrayBuffer) found.add(v.buffer)
      return
    }
    for (const child of Array.isArray(v) ? v : Object.values(v)) walk(child)
  }
  walk(value)
  return [...found]
}

/** Messages from the training worker. */
export type TrainingMessage =
  { kind: 'progress'; done: number; total: number } | { kind: 'result'; result: TrainingResult }

/**
 * A worker thread of this module (`train.worker`, `model.load.worker`). Compiled (`npm start`), this
 * file is JavaScript beside `train.worker.js`. From
 * source (tsx, vitest), a worker thread cannot load a `.ts` file by itself (the main thread's loader
 * hooks do not reach it, nor does `--import tsx` in its `execArgv` before its entry is loaded), so a
 * small bootstrap registers tsx's loader in the thread first (`tsx/esm/api`'s `register`) and then
 * imports the TypeScript entry.
 */
export function startModuleWorker(
  name: 'train.worker' | 'model.load.worker',
  options: WorkerOptions,
): Worker {
  const here = import.meta.url
  if (!here.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, here), options)
  const tsx = import.meta.resolve('tsx/esm/api')
  const entry = new URL(`./${name}.ts`, here).href
  const bootstrap = `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}) })`
  return new Worker(bootstrap, { ...options, eval: true })
}

/**
 * Runs a training job in a worker thread of its own, so the event loop (serving, `/health/live`) is free
 * meanwhile; progress is passed on as the worker reports it. The job's event columns are moved to the
 * worker (they are empty here afterwards), and the result's arrays are moved back. The thread ends with
 * the job, so its memory goes with it.
 */
export const trainOffThread: Trainer = (job, onProgress) =>
  new Promise<TrainingResult>((resolve, reject) => {
    let settled = false
    const worker = startModuleWorker('train.worker', {
      workerData: job,
      transferList: transferablesOf(job.events),
    })
    worker.on('message', (message: TrainingMessage) => {
      if (message.kind === 'progress') onProgress?.(message.done, message.total)
      else {
        settled = true
        resolve(message.result)
        // Its work is done: nothing it holds (a loader, a cache) outlives the job.
        void worker.terminate()
      }
    })
    worker.once('error', (error) => {
      settled = true
      reject(error)
    })
    worker.once('exit', (code) => {
      if (!settled)
        reject(new Error(`the training worker stopped (exit code ${code}) without a model`))
    })
  })
