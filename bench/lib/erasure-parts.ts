/**
 * Where an erasure's time goes, for `bench:erasure --data uci` and `bench:scale`: the model's parts
 * measured one by one, in this process, on a copy of the newest stored model (decoded from its bytes,
 * the state every process serves), just before the real erasure runs through the HTTP API:
 *
 * - `subtractMs`: taking the subject out of the model state (`subtractSubject`: the engine's
 *   `removeSubject`, `engineMs`, plus the items' first sightings again without them);
 * - `encodeMs`: encoding the state without them (`encodeModelState`);
 * - `writeMs`: writing those bytes as a stored version, in a transaction rolled back afterwards;
 * - the rest of the erasure's measured total (database deletes of every module, the audit entry, the
 *   request's bookkeeping) is the total less these three.
 *
 * The longest event-loop stall during the real erasure is read with `monitorEventLoopDelay`: an
 * erasure that runs in-process blocks every other request for that long.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks'
import type { Db } from '../../src/storage/db.js'
import { historyOf, removeSubject } from '../../src/modules/recommend/engine/index.js'
import { decodeModelState, encodeModelState } from '../../src/modules/recommend/model.codec.js'
import { modelRepository } from '../../src/modules/recommend/model.repository.js'
import { subtractSubject } from '../../src/modules/recommend/model.state.js'
import { CHUNK_BYTES } from '../../src/modules/recommend/model.store.js'

export interface ModelParts {
  /** Model items, subjects and stored bytes before the erasure. */
  items: number
  subjects: number
  modelMB: number
  /** The subject's distinct items in the model. */
  subjectItems: number
  engineMs: number
  subtractMs: number
  encodeMs: number
  writeMs: number
}

const ms = (from: number) => Math.round((performance.now() - from) * 10) / 10

/** Thrown to roll the measuring write back. */
class RollBack extends Error {}

/** Measures the model's parts of erasing `subjectId` on a copy of the newest stored model. */
export async function measureModelParts(db: Db, subjectId: string): Promise<ModelParts> {
  const newest = await modelRepository.newestVersion(db)
  if (newest === undefined) throw new Error('no stored model: train first')
  const chunks = await modelRepository.readChunks(db, newest.version)
  const bytes = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)
  const copy = decodeModelState(bytes)
  const row = copy.subjects.get(subjectId)
  if (row === undefined) throw new Error('the subject is not in the stored model')
  const history = historyOf(copy.interactions, row)
  const subjectItems = new Set(history.items).size
  const items = copy.model.nItems
  const subjects = copy.subjects.size

  let started = performance.now()
  removeSubject(copy.model, history, { excluded: copy.trainedExcluded ?? copy.excluded })
  const engineMs = ms(started)
  started = performance.now()
  subtractSubject(copy, subjectId)
  const subtractMs = ms(started)
  started = performance.now()
  const encoded = encodeModelState(copy)
  const encodeMs = ms(started)

  started = performance.now()
  let writeMs = 0
  try {
    await db.transaction().execute(async (trx) => {
      const version = { ...newest, version: newest.version + 1, reason: 'erased' as const }
      const parts: Uint8Array[] = []
      for (let at = 0; at < encoded.length; at += CHUNK_BYTES)
        parts.push(encoded.subarray(at, at + CHUNK_BYTES))
      await modelRepository.insertVersion(trx, { ...version, size: encoded.length }, parts)
      writeMs = ms(started)
      throw new RollBack()
    })
  } catch (error) {
    if (!(error instanceof RollBack)) throw error
  }
  return {
    items,
    subjects,
    modelMB: Math.round((bytes.length / 1024 / 1024) * 10) / 10,
    subjectItems,
    engineMs,
    subtractMs,
    encodeMs,
    writeMs,
  }
}

/** Runs `work` and answers its result with the longest event-loop stall meanwhile (ms). */
export async function withLoopStall<T>(work: () => Promise<T>): Promise<[T, number]> {
  const histogram = monitorEventLoopDelay({ resolution: 5 })
  const tick = () => new Promise((resolve) => setTimeout(resolve, 20))
  histogram.enable()
  try {
    // The sampling timer runs from the first turn of the loop after enable(), and a stall is
    // recorded when the timer fires after it: a turn before and after the work.
    await tick()
    const result = await work()
    await tick()
    return [result, Math.round((histogram.max / 1e6) * 10) / 10]
  } finally {
    histogram.disable()
  }
}
