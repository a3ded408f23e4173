import type { ChangeFeed } from '../../storage/changes.js'
import type { Db } from '../../storage/db.js'
import { ownerWrites } from '../../storage/owner-writes.js'

type IdentityTables = {
  subjects: { subject_id: string; created_at: string }
  subject_refs: { ref_hash: string; subject_id: string }
  vault_entries: {
    subject_id: string
    master_key_id: string
    wrapped_key: string
    ciphertext: string
    updated_at: string
  }
}

/** A reference's subject, and the hash (under which pseudonym key) it was found by. */
export interface FoundRef {
  subjectId: string
  refHash: string
}

export interface VaultRow {
  subjectId: string
  masterKeyId: string
  wrappedKey: string
  ciphertext: string
  updatedAt: string
}

/**
 * The identity tables. Every write is made with `write` (`owner-writes.ts`), naming the subject whose
 * rows it touched (and a lookup hash it took: a copy may say that nobody has it).
 */
export function createIdentityRepository(changes: ChangeFeed) {
  const t = (db: Db) => db.withTables<IdentityTables>()
  const write = ownerWrites(changes)
  return {
    /**
     * The subject of each reference, by the reference's hash under the active pseudonym key: `hashesOf`
     * gives all of a reference's hashes (the active one first), and all are looked up in one query.
     * Answers, per active hash found, the subject and the hash it was found under.
     */
    async findByActiveHashes(
      db: Db,
      actives: readonly string[],
      hashesOf: (active: string) => readonly string[],
    ): Promise<Map<string, FoundRef>> {
      const activeOf = new Map<string, string>()
      for (const active of actives) for (const hash of hashesOf(active)) activeOf.set(hash, active)
      if (activeOf.size === 0) return new Map()
      const rows = await t(db)
        .selectFrom('subject_refs')
        .select(['ref_hash', 'subject_id'])
        .where('ref_hash', 'in', [...activeOf.keys()])
        .execute()
      const out = new Map<string, FoundRef>()
      for (const row of rows) {
        const active = activeOf.get(row.ref_hash)!
        // Found under the active key wins over an older one.
        if (out.get(active)?.refHash === active) continue
        out.set(active, { subjectId: row.subject_id, refHash: row.ref_hash })
      }
      return out
    },
    insertSubject: write(
      async (db: Db, subjectId: string, createdAt: string): Promise<void> => {
        await t(db)
          .insertInto('subjects')
          .values({ subject_id: subjectId, created_at: createdAt })
          .execute()
      },
      (_, subjectId) => [subjectId],
    ),
    /** Inserts the lookup unless that hash is already taken; says whether this call inserted it. */
    insertRefHash: write(
      async (db: Db, refHash: string, subjectId: string): Promise<boolean> => {
        const result = await t(db)
          .insertInto('subject_refs')
          .values({ ref_hash: refHash, subject_id: subjectId })
          .onConflict((oc) => oc.column('ref_hash').doNothing())
          .executeTakeFirst()
        return Number(result.numInsertedOrUpdatedRows ?? 0) > 0
      },
      // The hash too: a copy may say that nobody has it (see the identity service).
      (_, refHash, subjectId) => [subjectId, refHash],
    ),
    deleteSubject: write(
      async (db: Db, subjectId: string): Promise<void> => {
        await t(db).deleteFrom('vault_entries').where('subject_id', '=', subjectId).execute()
        await t(db).deleteFrom('subject_refs').where('subject_id', '=', subjectId).execute()
        await t(db).deleteFrom('subjects').where('subject_id', '=', subjectId).execute()
      },
      (_, subjectId) => [subjectId],
    ),
    async findVault(db: Db, subjectId: string): Promise<VaultRow | undefined> {
      const row = await t(db)
        .selectFrom('vault_entries')
        .selectAll()
        .where('subject_id', '=', subjectId)
        .executeTakeFirst()
      return row === undefined
        ? undefined
        : {
            subjectId: row.subject_id,
            masterKeyId: row.master_key_id,
            wrappedKey: row.wrapped_key,
            ciphertext: row.ciphertext,
            updatedAt: row.updated_at,
          }
    },
    upsertVault: write(
      async (db: Db, row: VaultRow): Promise<void> => {
        const values = {
          subject_id: row.subjectId,
          master_key_id: row.masterKeyId,
          wrapped_key: row.wrappedKey,
          ciphertext: row.ciphertext,
          updated_at: row.updatedAt,
        }
        await t(db)
          .insertInto('vault_entries')
          .values(values)
          .onConflict((oc) => oc.column('subject_id').doUpdateSet(values))
          .execute()
      },
      (_, row) => [row.subjectId],
    ),
    /** Vault rows not yet wrapped by the given master key, a page at a time (for rotation). */
    async listVaultNotWrappedBy(db: Db, masterKeyId: string, limit: number): Promise<VaultRow[]> {
      const rows = await t(db)
        .selectFrom('vault_entries')
        .selectAll()
        .where('master_key_id', '!=', masterKeyId)
        .orderBy('subject_id')
        .limit(limit)
        .execute()
      return rows.map((row) => ({
        subjectId: row.subject_id,
        masterKeyId: row.master_key_id,
        wrappedKey: row.wrapped_key,
        ciphertext: row.ciphertext,
        updatedAt: row.updated_at,
      }))
    },
    rewrap: write(
      async (
        db: Db,
        subjectId: string,
        fromKeyId: string,
        masterKeyId: string,
        wrappedKey: string,
      ): Promise<void> => {
        await t(db)
          .updateTable('vault_entries')
          .set({ master_key_id: masterKeyId, wrapped_key: wrappedKey })
          .where('subject_id', '=', subjectId)
          .where('master_key_id', '=', fromKeyId)
          .execute()
      },
      (_, subjectId) => [subjectId],
    ),
    /** Subjects with when each became known, a page at a time in id order (after `after`). */
    async listSubjects(
      db: Db,
      after: string,
      limit: number,
    ): Promise<{ subjectId: string; createdAt: string }[]> {
      const rows = await t(db)
        .selectFrom('subjects')
        .select(['subject_id', 'created_at'])
        .where('subject_id', '>', after)
        .orderBy('subject_id')
        .limit(limit)
        .execute()
      return rows.map((r) => ({ subjectId: r.subject_id, createdAt: r.created_at }))
    },
    async countVault(db: Db): Promise<number> {
      const row = await t(db)
        .selectFrom('vault_entries')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
      return Number(row.n)
    },
  }
}

export type IdentityRepository = ReturnType<typeof createIdentityRepository>
