import type { Db } from '../../storage/db.js'

/**
 * The stored model's tables (migration 0018) as this repository reads them: one row per stored version,
 * its bytes in chunks, and the two lock rows (`train`: the training lease; `store`: taken by every write
 * of a version, so that writes happen one at a time).
 */
export type ModelTables = {
  recommend_models: {
    version: number
    run_id: string
    trained_at: string
    stored_at: string
    reason: string
    chunks: number
    size: number | string
  }
  recommend_model_chunks: { version: number; chunk: number; bytes: Uint8Array }
  recommend_model_locks: { name: string; holder: string | null; expires_at: string | null }
}

/** Why a version was written: a training, or a subtraction of forgotten subjects from the one before. */
export type StoreReason = 'trained' | 'erased'

/** One stored version of the model, without its bytes. */
export interface StoredVersion {
  version: number
  /** The training run it comes from (a version written after an erasure keeps its run). */
  runId: string
  trainedAt: string
  storedAt: string
  reason: StoreReason
  size: number
}

export type LockName = 'train' | 'store'

const t = (db: Db) => db.withTables<ModelTables>()

/** The SQL of the stored model: versions, their chunks, and the lock rows. */
export const modelRepository = {
  /** The newest stored version (one indexed read), or undefined when none is stored. */
  async newestVersion(db: Db): Promise<StoredVersion | undefined> {
    const row = await t(db)
      .selectFrom('recommend_models')
      .selectAll()
      .orderBy('version', 'desc')
      .limit(1)
      .executeTakeFirst()
    return row === undefined
      ? undefined
      : {
          version: row.version,
          runId: row.run_id,
          trainedAt: row.trained_at,
          storedAt: row.stored_at,
          reason: row.reason as StoreReason,
          size: Number(row.size),
        }
  },

  /**
   * A version's bytes in chunk order, one statement per chunk (better-sqlite3 reads synchronously: one
   * statement for all of UCI's model held the event loop 0.3 s); [] when the version, or a chunk of it,
   * is gone (replaced meanwhile).
   */
  async readChunks(db: Db, version: number): Promise<Uint8Array[]> {
    const row = await t(db)
      .selectFrom('recommend_models')
      .select('chunks')
      .where('version', '=', version)
      .executeTakeFirst()
    if (row === undefined) return []
    const chunks: Uint8Array[] = []
    for (let chunk = 0; chunk < row.chunks; chunk++) {
      const found = await t(db)
        .selectFrom('recommend_model_chunks')
        .select('bytes')
        .where('version', '=', version)
        .where('chunk', '=', chunk)
        .executeTakeFirst()
      if (found === undefined) return []
      chunks.push(found.bytes)
    }
    return chunks
  },

  /** Writes a version: its row and its chunks (one statement each, so no statement gets too large). */
  async insertVersion(db: Db, v: StoredVersion, chunks: readonly Uint8Array[]): Promise<void> {
    await t(db)
      .insertInto('recommend_models')
      .values({
        version: v.version,
        run_id: v.runId,
        trained_at: v.trainedAt,
        stored_at: v.storedAt,
        reason: v.reason,
        chunks: chunks.length,
        size: v.size,
      })
      .execute()
    for (const [chunk, bytes] of chunks.entries()) {
      await t(db)
        .insertInto('recommend_model_chunks')
        .values({
          version: v.version,
          chunk,
          // Both drivers bind a Buffer as a blob (bytea); a view is wrapped, not copied.
          bytes: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
        })
        .execute()
    }
  },

  /** Deletes every version but `keep` (the newest): an erased subject survives in none. */
  async deleteVersionsExcept(db: Db, keep: number): Promise<void> {
    await t(db).deleteFrom('recommend_model_chunks').where('version', '<>', keep).execute()
    await t(db).deleteFrom('recommend_models').where('version', '<>', keep).execute()
  },

  /**
   * Takes the `store` row's lock for the rest of the transaction `db` (a row lock on PostgreSQL, the
   * write lock on SQLite): the caller writes a version knowing no other writer is between its reads
   * and its writes.
   */
  async lockStore(db: Db, holder: string, at: string): Promise<void> {
    await t(db)
      .updateTable('recommend_model_locks')
      .set({ holder, expires_at: at })
      .where('name', '=', 'store')
      .execute()
  },

  /**
   * Takes the lease `name` for `holder` until `until` if it is free, expired (before `now`) or held by
   * `holder` already (a renewal); true if `holder` holds it now. One statement, so two processes asking
   * at once cannot both get it.
   */
  async takeLease(
    db: Db,
    name: LockName,
    holder: string,
    now: string,
    until: string,
  ): Promise<boolean> {
    const result = await t(db)
      .updateTable('recommend_model_locks')
      .set({ holder, expires_at: until })
      .where('name', '=', name)
      .where((eb) =>
        eb.or([
          eb('holder', 'is', null),
          eb('expires_at', 'is', null),
          eb('expires_at', '<', now),
          eb('holder', '=', holder),
        ]),
      )
      .executeTakeFirst()
    return Number(result.numUpdatedRows) > 0
  },

  /** Gives the lease back (when `holder` still holds it). */
  async releaseLease(db: Db, name: LockName, holder: string): Promise<void> {
    await t(db)
      .updateTable('recommend_model_locks')
      .set({ holder: null, expires_at: null })
      .where('name', '=', name)
      .where('holder', '=', holder)
      .execute()
  },

  /** Who holds the lease and until when (nulls: nobody). */
  async readLease(
    db: Db,
    name: LockName,
  ): Promise<{ holder: string | null; expiresAt: string | null }> {
    const row = await t(db)
      .selectFrom('recommend_model_locks')
      .select(['holder', 'expires_at'])
      .where('name', '=', name)
      .executeTakeFirst()
    return { holder: row?.holder ?? null, expiresAt: row?.expires_at ?? null }
  },
}

export type ModelRepository = typeof modelRepository
