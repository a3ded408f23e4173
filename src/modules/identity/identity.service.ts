import type { Clock } from '../../lib/clock.js'
import { open, seal } from '../../lib/aead.js'
import { hmacSha256, randomSecret } from '../../lib/crypto.js'
import { newId } from '../../lib/ids.js'
import { type ChangeFeed, createOwnerCache } from '../../storage/changes.js'
import type { Db } from '../../storage/db.js'
import type { VaultData } from './identity.js'
import { createIdentityCache } from './identity.cache.js'
import { createIdentityRepository, type VaultRow } from './identity.repository.js'
import type { KeyEntry, KeyringHolder } from './keyring.js'

export interface IdentityDeps {
  db: Db
  clock: Clock
  keys: KeyringHolder
  changes: ChangeFeed
}

export type IdentityService = ReturnType<typeof createIdentityService>

/**
 * Pseudonymous identity and the encrypted vault.
 *
 * A customer reference is never stored: it is looked up through its keyed HMAC-SHA256 (`<keyId>:<mac>`)
 * in `subject_refs`, which points to a random subject id. Erasing a subject deletes that lookup, so the
 * same reference arriving later becomes a new subject. Directly identifying data is sealed with a data
 * key of the subject's own (AES-256-GCM), itself sealed by the active master key; erasure deletes the
 * wrapped data key with the row, so no backup of the ciphertext can be read again (crypto-shredding).
 */
export function createIdentityService(deps: IdentityDeps) {
  // Reads outside a transaction may be answered from the copies (`identity.cache.ts`).
  const repo = createIdentityCache(createIdentityRepository(deps.changes), deps.changes, deps.db)

  /** The reference's lookup hash under one pseudonym key. */
  function hashUnder(key: KeyEntry, ref: string): string {
    return `${key.id}:${hmacSha256(key.secret, `subject:${ref}`).toString('base64url')}`
  }

  /** Its hash under the pseudonym key in use: one HMAC, all a known subject needs. */
  function activeHash(ref: string): string {
    return hashUnder(deps.keys.current().pseudonym.active, ref)
  }

  /** Its hashes under every pseudonym key, the active one first (for a reference not found under it). */
  function refHashes(ref: string, active = activeHash(ref)): string[] {
    const keyring = deps.keys.current()
    const older = keyring.pseudonym.all().filter((k) => k !== keyring.pseudonym.active)
    return [active, ...older.map((key) => hashUnder(key, ref))]
  }

  function masterKey(id: string) {
    return deps.keys.current().master.byId(id) ?? deps.keys.reload().master.byId(id)
  }

  function unwrapDataKey(row: VaultRow): Buffer {
    const key = masterKey(row.masterKeyId)
    if (key === undefined)
      throw new Error(`vault master key ${row.masterKeyId} is not in the key file`)
    return open(
      key.secret,
      Buffer.from(row.wrappedKey, 'base64'),
      `${row.subjectId}|${row.masterKeyId}`,
    )
  }

  /**
   * The subject a reference names, as the last lookup outside a transaction found it (or that nobody has
   * it), per pseudonym key: a request names its shopper by reference, and this spares it the HMAC and
   * the lookup. A copy goes with its subject's changes (erasure among them) or, for a reference nobody
   * has, when a subject takes its hash (see `insertRefHash`), like the copies in `identity.cache.ts`.
   */
  const byRef = createOwnerCache<{ subjectId: string | undefined; hash: string }>(deps.changes, {
    ownerOf: (found) => found.subjectId ?? found.hash,
  })

  async function findSubjectId(ref: string, executor: Db = deps.db): Promise<string | undefined> {
    if (executor !== deps.db) return (await findSubjectIds([ref], executor)).get(ref)
    const key = deps.keys.current().pseudonym.active
    const found = await byRef.get(`${key.id}:${ref}`, async () => ({
      subjectId: (await findSubjectIds([ref], executor)).get(ref),
      hash: hashUnder(key, ref),
    }))
    return found.subjectId
  }

  /**
   * Subject ids for many references in one query (the event pipeline resolves a whole batch at once).
   * References without a subject are absent from the map; none is created.
   */
  async function findSubjectIds(
    refs: readonly string[],
    executor: Db = deps.db,
  ): Promise<Map<string, string>> {
    const refOf = new Map<string, string>()
    for (const ref of refs) refOf.set(activeHash(ref), ref)
    const found = await repo.findByActiveHashes(executor, [...refOf.keys()], (active) =>
      refHashes(refOf.get(active)!, active),
    )
    const out = new Map<string, string>()
    for (const [active, { subjectId, refHash }] of found) {
      out.set(refOf.get(active)!, subjectId)
      // Found under an older pseudonym key only: add the lookup under the active key (lazy rotation).
      if (refHash !== active) await repo.insertRefHash(executor, active, subjectId)
    }
    return out
  }

  return {
    findSubjectId,
    findSubjectIds,

    /** The subject for a customer reference, created on first sight. Safe under concurrent calls. */
    async ensureSubjectId(ref: string, executor: Db = deps.db): Promise<string> {
      const existing = await findSubjectId(ref, executor)
      if (existing !== undefined) return existing
      const subjectId = newId('sub', 24)
      await repo.insertSubject(executor, subjectId, deps.clock.now().toISOString())
      const inserted = await repo.insertRefHash(executor, activeHash(ref), subjectId)
      if (inserted) return subjectId
      // Another request created it first: keep theirs.
      await repo.deleteSubject(executor, subjectId)
      const winner = await findSubjectId(ref, executor)
      if (winner === undefined) throw new Error('subject lookup vanished during creation')
      return winner
    },

    /** Seals the subject's identifying data, replacing what the vault held. */
    async writeVault(executor: Db, subjectId: string, data: VaultData): Promise<void> {
      const existing = await repo.findVault(executor, subjectId)
      const dataKey = existing === undefined ? randomSecret(32) : unwrapDataKey(existing)
      const master = deps.keys.current().master.active
      await repo.upsertVault(executor, {
        subjectId,
        masterKeyId: master.id,
        wrappedKey: seal(master.secret, dataKey, `${subjectId}|${master.id}`).toString('base64'),
        ciphertext: seal(dataKey, Buffer.from(JSON.stringify(data)), subjectId).toString('base64'),
        updatedAt: deps.clock.now().toISOString(),
      })
    },

    async readVault(subjectId: string, executor: Db = deps.db): Promise<VaultData | undefined> {
      const row = await repo.findVault(executor, subjectId)
      if (row === undefined) return undefined
      const plain = open(unwrapDataKey(row), Buffer.from(row.ciphertext, 'base64'), subjectId)
      return JSON.parse(plain.toString('utf8')) as VaultData
    },

    /**
     * Seals a short-lived value about a subject (a pending rectification, say) under the active master
     * key, so it never rests in plaintext outside the vault.
     */
    sealTransient(subjectId: string, value: unknown): string {
      const master = deps.keys.current().master.active
      const sealed = seal(
        master.secret,
        Buffer.from(JSON.stringify(value)),
        `transient|${subjectId}|${master.id}`,
      )
      return `${master.id}:${sealed.toString('base64')}`
    },

    openTransient(subjectId: string, sealed: string): unknown {
      const [keyId, body] = sealed.split(':')
      const key = keyId === undefined ? undefined : masterKey(keyId)
      if (key === undefined || body === undefined)
        throw new Error('sealed value names an unknown master key')
      const plain = open(key.secret, Buffer.from(body, 'base64'), `transient|${subjectId}|${keyId}`)
      return JSON.parse(plain.toString('utf8')) as unknown
    },

    /**
     * Every subject (a pseudonym and when it became known: no reference, no vault), a page of at most
     * `limit` after the id `after`; for statistics over the shopper base (voice representativeness).
     */
    listSubjects: (after = '', limit = 1000) => repo.listSubjects(deps.db, after, limit),

    /** Deletes the subject, its lookups and its vault entry (and with it the only copy of its data key). */
    async eraseSubject(executor: Db, subjectId: string): Promise<void> {
      await repo.deleteSubject(executor, subjectId)
    },

    /**
     * Re-wraps every data key under the active master key, a page at a time; the data itself is not
     * touched. Readers keep working throughout, since every master key stays in the key file.
     */
    async rewrapVault(onProgress?: (done: number, total: number) => void): Promise<number> {
      const master = deps.keys.reload().master.active
      const total = await repo.countVault(deps.db)
      let done = 0
      for (;;) {
        const page = await repo.listVaultNotWrappedBy(deps.db, master.id, 200)
        if (page.length === 0) break
        await deps.db.transaction().execute(async (trx) => {
          for (const row of page) {
            const wrapped = seal(master.secret, unwrapDataKey(row), `${row.subjectId}|${master.id}`)
            await repo.rewrap(
              trx,
              row.subjectId,
              row.masterKeyId,
              master.id,
              wrapped.toString('base64'),
            )
          }
        })
        done += page.length
        onProgress?.(done, total)
      }
      return done
    },
  }
}
