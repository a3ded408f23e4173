import fs from 'node:fs'
import path from 'node:path'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  addMasterKey,
  createIdentityService,
  createKeyringHolder,
  readKeyring,
  writeKeyFile,
  generateKeyFile,
  readKeyFile,
} from '../src/modules/identity/index.js'
import { DIALECTS, type TestContext, createTestContext } from './helpers/test-context.js'

for (const dialect of DIALECTS) {
  describe(`identity and vault on ${dialect}`, () => {
    let ctx: TestContext
    beforeAll(async () => {
      ctx = await createTestContext(dialect)
    })
    afterAll(async () => {
      await ctx?.close()
    })

    it('maps a customer reference to one stable pseudonym, and never stores the reference', async () => {
      const a = await ctx.services.identity.ensureSubjectId('customer-4711')
      const again = await ctx.services.identity.ensureSubjectId('customer-4711')
      const b = await ctx.services.identity.ensureSubjectId('customer-4712')
      expect(a).toMatch(/^sub_[a-z0-9]{24}$/)
      expect(again).toBe(a)
      expect(b).not.toBe(a)
      const refs = await sql<{ ref_hash: string }>`select ref_hash from subject_refs`.execute(
        ctx.storage.db,
      )
      expect(refs.rows.length).toBeGreaterThanOrEqual(2)
      for (const row of refs.rows) expect(row.ref_hash).not.toContain('4711')
    })

    it('creates one subject when the same new reference arrives concurrently', async () => {
      const ids = await Promise.all(
        Array.from({ length: 8 }, () => ctx.services.identity.ensureSubjectId('customer-race')),
      )
      expect(new Set(ids).size).toBe(1)
    })

    it('finds a reference as soon as it gets a subject, after being asked for it before', async () => {
      const { identity } = ctx.services
      // A second service on the same database and change feed, as the event pipeline and a route are.
      const other = createIdentityService({
        db: ctx.storage.db,
        clock: ctx.clock,
        keys: ctx.services.keys,
        changes: ctx.storage.changes,
      })
      expect(await identity.findSubjectId('customer-later')).toBeUndefined()
      expect(await identity.findSubjectIds(['customer-later', 'customer-later-2'])).toEqual(
        new Map(),
      )
      const created = await ctx.storage.db
        .transaction()
        .execute((trx) => other.ensureSubjectId('customer-later', trx))
      expect(await identity.findSubjectId('customer-later')).toBe(created)
      expect(await identity.findSubjectIds(['customer-later', 'customer-later-2'])).toEqual(
        new Map([['customer-later', created]]),
      )
      await other.eraseSubject(ctx.storage.db, created)
      expect(await identity.findSubjectId('customer-later')).toBeUndefined()
    })

    it('seals identifying data, reads it back, and keeps no plaintext in the table', async () => {
      const subjectId = await ctx.services.identity.ensureSubjectId('customer-vault')
      const data = { email: 'ada@example.org', name: 'Ada Lovelace', phone: '+44 20 7946 0018' }
      await ctx.services.identity.writeVault(ctx.storage.db, subjectId, data)
      expect(await ctx.services.identity.readVault(subjectId)).toEqual(data)
      const rows = await sql<Record<string, string>>`select * from vault_entries`.execute(
        ctx.storage.db,
      )
      const raw = JSON.stringify(rows.rows)
      expect(raw).not.toContain('ada@example.org')
      expect(raw).not.toContain('Lovelace')
    })

    it('erases a subject: vault gone, reference unresolvable, and a later arrival is a new subject', async () => {
      const subjectId = await ctx.services.identity.ensureSubjectId('customer-gone')
      await ctx.services.identity.writeVault(ctx.storage.db, subjectId, {
        email: 'gone@example.org',
      })
      await ctx.services.identity.eraseSubject(ctx.storage.db, subjectId)
      expect(await ctx.services.identity.readVault(subjectId)).toBeUndefined()
      expect(await ctx.services.identity.findSubjectId('customer-gone')).toBeUndefined()
      const reborn = await ctx.services.identity.ensureSubjectId('customer-gone')
      expect(reborn).not.toBe(subjectId)
    })

    it('rotates the master key: every data key re-wrapped, every entry still readable', async () => {
      const file = path.join(ctx.database.dir, 'rotate.keys.json')
      writeKeyFile(file, generateKeyFile(ctx.clock.now()))
      const keys = createKeyringHolder(readKeyring(file), file)
      const identity = createIdentityService({
        db: ctx.storage.db,
        clock: ctx.clock,
        keys,
        changes: ctx.storage.changes,
      })
      // Start from a vault wrapped by this file's key only.
      await sql`delete from vault_entries`.execute(ctx.storage.db)
      const subjects: string[] = []
      for (let i = 0; i < 5; i++) {
        const id = await identity.ensureSubjectId(`rotating-${i}`)
        await identity.writeVault(ctx.storage.db, id, { name: `Person ${i}` })
        subjects.push(id)
      }
      const newKey = addMasterKey(file)
      expect(readKeyFile(file).master.active).toBe(newKey)
      expect(fs.statSync(file).mode & 0o077).toBe(0)
      const done = await identity.rewrapVault()
      expect(done).toBe(5)
      const ids = await sql<{
        master_key_id: string
      }>`select distinct master_key_id from vault_entries`.execute(ctx.storage.db)
      expect(ids.rows.map((r) => r.master_key_id)).toEqual([newKey])
      for (const [i, id] of subjects.entries()) {
        expect(await identity.readVault(id)).toEqual({ name: `Person ${i}` })
      }
    })

    it('finds subjects after the pseudonym key rotates', async () => {
      const file = path.join(ctx.database.dir, 'pseudo.keys.json')
      const content = generateKeyFile(ctx.clock.now())
      writeKeyFile(file, content)
      const before = createIdentityService({
        db: ctx.storage.db,
        clock: ctx.clock,
        changes: ctx.storage.changes,
        keys: createKeyringHolder(readKeyring(file), file),
      })
      const id = await before.ensureSubjectId('long-time-customer')
      content.pseudonym = {
        active: 'p2',
        keys: { ...content.pseudonym.keys, p2: Buffer.alloc(32, 7).toString('base64') },
      }
      writeKeyFile(file, content)
      const after = createIdentityService({
        db: ctx.storage.db,
        clock: ctx.clock,
        changes: ctx.storage.changes,
        keys: createKeyringHolder(readKeyring(file), file),
      })
      expect(await after.findSubjectId('long-time-customer')).toBe(id)
      const hashes = await sql<{
        ref_hash: string
      }>`select ref_hash from subject_refs where subject_id = ${id}`.execute(ctx.storage.db)
      expect(hashes.rows.map((r) => r.ref_hash.split(':')[0]).sort()).toEqual(['p1', 'p2'])
    })
  })
}
