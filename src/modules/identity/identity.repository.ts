import type { ChangeFeed } from '../../storage/changes.js'
import type { Db } from '../../storage/db.js'

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

export interface VaultRow {
  subjectId: string
  masterKeyId: string
  wrappedKey: string
  ciphertext: string
  updatedAt: string
}

/** Every write that changes whom a reference points to names the subject to `changes` once done (see `ChangeFeed`). */
export function createIdentityRepository(changes: ChangeFeed) {
  const t = (db: Db) => db.withTables<IdentityTables>()
  return {
    async findByRefHashes(
      db: Db,
      hashes: string[],
    ): Promise<{ refHash: string; subjectId: string }[]> {
      if (hashes.length === 0) return []
      const rows = await t(db)
        .selectFrom('subject_refs')
        .select(['ref_hash', 'subject_id'])
        .where('ref_hash', 'in', hashes)
        .execute()
      return rows.map((r) => ({ refHash: r.ref_hash, subjectId: r.subject_id }))
    },
    async insertSubject(db: Db, subjectId: string, createdAt: string): Promise<void> {
      await t(db)
        .insertInto('subjects')
        .values({ subject_id: subjectId, created_at: createdAt })
        .execute()
    },
    /** Inserts the lookup unless that hash is already taken; says whether this call inserted it. */
    async insertRefHash(db: Db, refHash: string, subjectId: string): Promise<boolean> {
      const result = await t(db)
        .insertInto('subject_refs')
        .values({ ref_hash: refHash, subject_id: subjectId })
        .onConflict((oc) => oc.column('ref_hash').doNothing())
        .executeTakeFirst()
      // The hash too: a copy may say that nobody has it (see the identity service).
      changes.owners(subjectId, refHash)
      return Number(result.numInsertedOrUpdatedRows ?? 0) > 0
    },
    async deleteSubject(db: Db, subjectId: string): Promise<void> {
      await t(db).deleteFrom('vault_entries').where('subject_id', '=', subjectId).execute()
      await t(db).deleteFrom('subject_refs').where('subject_id', '=', subjectId).execute()
      await t(db).deleteFrom('subjects').where('subject_id', '=', subjectId).execute()
      changes.owners(subjectId)
    },
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
    async upsertVault(db: Db, row: VaultRow): Promise<void> {
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
    async rewrap(
      db: Db,
      subjectId: string,
      fromKeyId: string,
      masterKeyId: string,
      wrappedKey: string,
    ) {
      await t(db)
        .updateTable('vault_entries')
        .set({ master_key_id: masterKeyId, wrapped_key: wrappedKey })
        .where('subject_id', '=', subjectId)
        .where('master_key_id', '=', fromKeyId)
        .execute()
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
