/**
 * The stored model: versions of the model state in the database (`recommend_models`, migration 0018),
 * so that one process trains and every process loads. Only the newest version is kept, and every write
 * happens under the `store` lock with the forgotten subjects read inside it: no stored version holds a
 * subject once their forget has committed and a later write (the erasure's own, in its transaction)
 * has run.
 */
import type { Clock } from '../../lib/clock.js'
import type { Db } from '../../storage/db.js'
import { decodeModelState, decodeOffThread, encodeModelState } from './model.codec.js'
import type { ModelRepository, StoreReason, StoredVersion } from './model.repository.js'
import { type ModelState, subtractForgotten } from './model.state.js'

/** Bytes per chunk row: well under what one parameter may hold on either engine. */
export const CHUNK_BYTES = 8 * 1024 * 1024
/** From this size on, a stored version is decoded in a worker thread (starting one costs more for less). */
const OFF_THREAD_BYTES = 1024 * 1024

export interface ModelStoreDeps {
  db: Db
  clock: Clock
  repo: ModelRepository
  /** Subjects forgotten at or after `since` (the recommend repository's `listForgottenSince`). */
  forgottenSince(db: Db, since: string): Promise<{ subjectId: string }[]>
  /** Who writes (the training lease's holder), shown on the `store` lock row. */
  holder: string
}

/** A state and the stored version it is (or, with subjects subtracted since, was). */
export interface HeldVersion {
  state: ModelState
  version: number
  /** How many subjects the stored bytes hold: more than the state's means the stored copy is stale. */
  storedSubjects: number
}

/** A held state encoded ahead of a write (outside the transaction), with what it was encoded from. */
export interface Encoded {
  version: number
  subjects: number
  bytes: Uint8Array
}

export type ModelStore = ReturnType<typeof createModelStore>

/** Runs `work` in `db`'s transaction when it is one, else in a new one. */
function inTransaction<T>(db: Db, work: (trx: Db) => Promise<T>): Promise<T> {
  return db.isTransaction ? work(db) : db.transaction().execute(work)
}

export function createModelStore(deps: ModelStoreDeps) {
  const { repo } = deps

  /** Writes `bytes` (of `s`) as the version after the newest and deletes every other one. */
  async function write(
    trx: Db,
    s: ModelState,
    bytes: Uint8Array,
    reason: StoreReason,
  ): Promise<StoredVersion> {
    const newest = await repo.newestVersion(trx)
    const v: StoredVersion = {
      version: (newest?.version ?? 0) + 1,
      runId: s.run.id,
      trainedAt: s.run.trainedAt,
      storedAt: deps.clock.now().toISOString(),
      reason,
      size: bytes.length,
    }
    const chunks: Uint8Array[] = []
    for (let at = 0; at < bytes.length; at += CHUNK_BYTES)
      chunks.push(bytes.subarray(at, at + CHUNK_BYTES))
    await repo.insertVersion(trx, v, chunks)
    await repo.deleteVersionsExcept(trx, v.version)
    return v
  }

  const lock = (trx: Db) => repo.lockStore(trx, deps.holder, deps.clock.now().toISOString())

  /** A version's state, decoded; undefined when it was replaced meanwhile. */
  async function load(db: Db, version: number): Promise<ModelState | undefined> {
    const chunks = await repo.readChunks(db, version)
    if (chunks.length === 0) return undefined
    const bytes = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)
    return bytes.length < OFF_THREAD_BYTES ? decodeModelState(bytes) : decodeOffThread(bytes)
  }

  return {
    /** The newest stored version's number and run (one indexed read). */
    newest: (db: Db = deps.db): Promise<StoredVersion | undefined> => repo.newestVersion(db),

    /**
     * The newest stored state with every subject forgotten since its training subtracted (by any
     * process, up to now), or undefined when none is stored.
     */
    async loadNewest(): Promise<HeldVersion | undefined> {
      // A version replaced between the two reads is gone: read the newest again.
      for (let attempt = 0; attempt < 5; attempt++) {
        const newest = await repo.newestVersion(deps.db)
        if (newest === undefined) return undefined
        const state = await load(deps.db, newest.version)
        if (state === undefined) continue
        const storedSubjects = state.subjects.size
        subtractForgotten(state, await deps.forgottenSince(deps.db, state.run.trainedAt))
        return { state, version: newest.version, storedSubjects }
      }
      return undefined
    },

    /**
     * Stores a freshly trained state as the newest version. Encoded outside the transaction; inside it,
     * under the lock, the subjects forgotten since it was trained (up to that moment) are subtracted
     * first (and it is encoded again, rarely).
     */
    async saveTrained(state: ModelState): Promise<HeldVersion> {
      let bytes = encodeModelState(state)
      const version = await inTransaction(deps.db, async (trx) => {
        await lock(trx)
        if (subtractForgotten(state, await deps.forgottenSince(trx, state.run.trainedAt)))
          bytes = encodeModelState(state)
        return write(trx, state, bytes, 'trained')
      })
      return { state, version: version.version, storedSubjects: state.subjects.size }
    },

    /**
     * Makes the newest stored version hold no forgotten subject, in `executor`'s transaction (an
     * erasure's: it commits with the forget) or one of its own. Under the lock, it takes the newest
     * version (`held`, when the caller's state is that version, else read from the database),
     * subtracts every subject forgotten since its training and, if the stored bytes held any of them,
     * writes the result as the next version and deletes the others. `encoded`: `held`'s state encoded
     * before the transaction wrote anything (so that on SQLite the write lock is not held meanwhile),
     * used when nothing changed since. Answers the state written (undefined: nothing stored, or nothing
     * to take out).
     */
    async cleanse(
      executor: Db,
      held: HeldVersion | undefined,
      encoded?: Encoded,
    ): Promise<HeldVersion | undefined> {
      return inTransaction(executor, async (trx) => {
        await lock(trx)
        const newest = await repo.newestVersion(trx)
        if (newest === undefined) return undefined
        let base = held?.version === newest.version ? held : undefined
        if (base === undefined) {
          const state = await load(trx, newest.version)
          if (state === undefined) return undefined
          base = { state, version: newest.version, storedSubjects: state.subjects.size }
        }
        const { state } = base
        subtractForgotten(state, await deps.forgottenSince(trx, state.run.trainedAt))
        if (state.subjects.size === base.storedSubjects) return undefined
        const bytes =
          encoded !== undefined &&
          encoded.version === base.version &&
          encoded.subjects === state.subjects.size &&
          base === held
            ? encoded.bytes
            : encodeModelState(state)
        const v = await write(trx, state, bytes, 'erased')
        return { state, version: v.version, storedSubjects: state.subjects.size }
      })
    },
  }
}
