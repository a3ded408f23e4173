import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { sql } from 'kysely'
import { afterEach, describe, expect, it } from 'vitest'
import {
  createAuditLog,
  createCheckpointSigner,
  openCheckpoint,
  parseVerifierKey,
  signCheckpoint,
  verifyConsistency,
  verifyInclusion,
} from '../src/modules/audit/index.js'
import {
  generateKeyFile,
  keyringFromFile,
  loadOrCreateKeyring,
  readKeyFile,
  writeKeyFile,
} from '../src/modules/identity/index.js'
import { recordEntries, rewriteLog } from './helpers/audit-log.js'
import { DIALECTS, type TestContext, createTestContext } from './helpers/test-context.js'

interface CheckpointBody {
  origin: string
  treeSize: number
  rootHash: string
  timestamp: string
  note: string
  publicKey: string
  publicKeys: string[]
}

for (const dialect of DIALECTS) {
  describe(`audit checkpoints on ${dialect}`, { timeout: 120_000 }, () => {
    let ctx: TestContext | undefined
    afterEach(async () => {
      await ctx?.close()
      ctx = undefined
    })

    /** A log of `n` entries besides the context's own, and the checkpoint an outside party saved. */
    async function savedLog(n: number): Promise<{ ctx: TestContext; saved: CheckpointBody }> {
      ctx = await createTestContext(dialect)
      await recordEntries(ctx, n)
      await ctx.services.audit.checkpoint()
      const response = await ctx.request({ method: 'GET', url: '/v1/audit/checkpoint' })
      expect(response.statusCode).toBe(200)
      return { ctx, saved: response.json<CheckpointBody>() }
    }

    it('publishes the latest signed checkpoint without authentication, checkable with the published key', async () => {
      const { ctx, saved } = await savedLog(10)
      const entries = (await ctx.services.audit.verify()).entries
      expect(saved.treeSize).toBe(entries)
      expect(saved.publicKeys[0]).toBe(saved.publicKey)
      const key = parseVerifierKey(saved.publicKey)
      expect(key?.origin).toBe(saved.origin)
      const opened = openCheckpoint(saved.note, key === undefined ? [] : [key])
      expect(opened.ok).toBe(true)
      expect(saved.note).toContain(`${saved.origin}\n${entries}\n`)
      const text = await ctx.request({
        method: 'GET',
        url: '/v1/audit/checkpoint',
        headers: { accept: 'text/plain' },
      })
      expect(text.headers['content-type']).toMatch(/^text\/plain/)
      expect(text.body).toBe(saved.note)
      // A note changed by one byte no longer opens.
      const altered = saved.note.replace(`\n${entries}\n`, `\n${entries + 1}\n`)
      expect(openCheckpoint(altered, key === undefined ? [] : [key]).ok).toBe(false)
    })

    it('detects the removal of the last entry against a saved checkpoint (the hash chain alone does not)', async () => {
      const { ctx, saved } = await savedLog(20)
      await rewriteLog(ctx.storage.db, (rows) => rows.slice(0, -1))
      expect((await ctx.services.audit.verify()).ok).toBe(true)
      const result = await ctx.services.audit.verifyTree({ checkpoint: saved.note })
      expect(result.ok).toBe(false)
      expect(result.problems.join('\n')).toContain(
        `the log holds ${saved.treeSize - 1} entries but the saved checkpoint (size ${saved.treeSize}) covers ${saved.treeSize}: entries were removed (truncated)`,
      )
    })

    it('detects the removal of the last 200 entries, and a truncation the stored checkpoints saw', async () => {
      const { ctx, saved } = await savedLog(600)
      await sql`delete from audit_log where seq > ${saved.treeSize - 200}`.execute(ctx.storage.db)
      // The stored tree and checkpoints still hold the truth: even without a saved copy it shows.
      const alone = await ctx.services.audit.verifyTree()
      expect(alone.ok).toBe(false)
      expect(alone.problems.join('\n')).toContain('entries were removed (truncated)')
      // And the next write refuses to cover the gap with new entries.
      await expect(
        ctx.services.audit.recordNow({ actor: { kind: 'system', name: 'test' }, action: 'next' }),
      ).rejects.toThrow('the audit tree holds more leaves than the log has entries')
      // An attacker who also drops the tree and the stored checkpoints is caught by the saved one.
      await rewriteLog(ctx.storage.db, (rows) => rows)
      expect((await ctx.services.audit.verify()).ok).toBe(true)
      const result = await ctx.services.audit.verifyTree({ checkpoint: saved.note })
      expect(result.ok).toBe(false)
      expect(result.entries).toBe(saved.treeSize - 200)
      expect(result.problems.join('\n')).toContain('entries were removed (truncated)')
    })

    it('detects a rewrite of entry 500 with every later hash recomputed', async () => {
      const { ctx, saved } = await savedLog(600)
      await rewriteLog(ctx.storage.db, (rows) =>
        rows.map((row) =>
          row.seq === 500 ? { ...row, details: JSON.stringify({ n: 'rewritten' }) } : row,
        ),
      )
      // The old check: a chain recomputed with the project's own hashEntry verifies as intact.
      expect((await ctx.services.audit.verify()).ok).toBe(true)
      const result = await ctx.services.audit.verifyTree({ checkpoint: saved.note })
      expect(result.ok).toBe(false)
      expect(result.entries).toBe(saved.treeSize)
      expect(result.problems).toContain(
        `the first ${saved.treeSize} entries do not match the saved checkpoint (size ${saved.treeSize}): entries were changed, removed or reordered, or the log forked`,
      )
    })

    it('detects a rewrite of an old entry with the stored checkpoints alone', async () => {
      const { ctx } = await savedLog(50)
      await recordEntries(ctx, 5, 'later')
      const { rows } = await sql<{ seq: number }>`select seq from audit_log order by seq`.execute(
        ctx.storage.db,
      )
      expect(rows.length).toBeGreaterThan(30)
      await sql`update audit_log set action = 'nothing.to.see' where seq = 30`.execute(
        ctx.storage.db,
      )
      const result = await ctx.services.audit.verifyTree()
      expect(result.ok).toBe(false)
      expect(result.problems.join('\n')).toMatch(/do not match the stored checkpoint of size \d+/)
      expect(result.problems).toContain('the stored tree does not match the entries')
    })

    it('detects a fork: another tree of the same size signed with this log key, and a checkpoint signed by another key', async () => {
      const { ctx, saved } = await savedLog(30)
      const audit = ctx.services.keys.current().audit
      const ours = createCheckpointSigner(audit.origin, audit.active.secret)
      const forked = signCheckpoint(
        {
          origin: audit.origin,
          treeSize: saved.treeSize,
          rootHash: Buffer.alloc(32, 7),
          timestamp: saved.timestamp,
        },
        ours,
      )
      const fork = await ctx.services.audit.verifyTree({ checkpoint: forked.note })
      expect(fork.ok).toBe(false)
      expect(fork.problems.join('\n')).toContain('or the log forked')

      const stranger = keyringFromFile(generateKeyFile(new Date())).audit
      const strangerSigner = createCheckpointSigner(audit.origin, stranger.active.secret)
      const foreign = signCheckpoint(
        { ...forked, rootHash: Buffer.from(saved.rootHash, 'hex') },
        strangerSigner,
      )
      const byOther = await ctx.services.audit.verifyTree({ checkpoint: foreign.note })
      expect(byOther.ok).toBe(false)
      expect(byOther.problems).toContain("the checkpoint is not signed by this log's key")

      const otherLog = createCheckpointSigner(stranger.origin, stranger.active.secret)
      const elsewhere = await ctx.services.audit.verifyTree({
        checkpoint: signCheckpoint({ ...forked, origin: stranger.origin }, otherLog).note,
      })
      expect(elsewhere.problems[0]).toContain('the checkpoint is for another log')
    })

    it('accepts a log that only grew, with consistency and inclusion proofs an outsider can check', async () => {
      const { ctx, saved } = await savedLog(37)
      await recordEntries(ctx, 45, 'later')
      const result = await ctx.services.audit.verifyTree({ checkpoint: saved.note, entrySeq: 12 })
      expect(result.problems).toEqual([])
      expect(result.ok).toBe(true)
      expect(result.checkpoint?.consistent).toBe(true)
      expect(result.inclusion).toMatchObject({ seq: 12, leafIndex: 11, ok: true })

      const latest = (await ctx.services.audit.checkpoint()).treeSize
      const now = (
        await ctx.request({ method: 'GET', url: '/v1/audit/checkpoint' })
      ).json<CheckpointBody>()
      expect(now.treeSize).toBe(latest)
      const proof = await ctx.request({
        method: 'GET',
        url: `/v1/audit/proof?size=${saved.treeSize}`,
      })
      expect(proof.statusCode).toBe(200)
      const body = proof.json<{ first: number; second: number; proof: string[] }>()
      expect(body.second).toBe(now.treeSize)
      const hashes = body.proof.map((h) => Buffer.from(h, 'hex'))
      const savedRoot = Buffer.from(saved.rootHash, 'hex')
      const nowRoot = Buffer.from(now.rootHash, 'hex')
      expect(verifyConsistency(saved.treeSize, now.treeSize, savedRoot, nowRoot, hashes)).toBe(true)
      expect(
        verifyConsistency(saved.treeSize, now.treeSize, Buffer.alloc(32), nowRoot, hashes),
      ).toBe(false)

      const anonymous = await ctx.request({ method: 'GET', url: '/v1/audit/inclusion?seq=12' })
      expect(anonymous.statusCode, anonymous.body).toBe(401)
      const inclusion = await ctx.request({
        method: 'GET',
        url: '/v1/audit/inclusion?seq=12',
        as: 'privacy_officer',
      })
      expect(inclusion.statusCode).toBe(200)
      const inc = inclusion.json<{
        leafIndex: number
        treeSize: number
        leafHash: string
        proof: string[]
      }>()
      expect(
        verifyInclusion(
          inc.leafIndex,
          inc.treeSize,
          Buffer.from(inc.leafHash, 'hex'),
          inc.proof.map((h) => Buffer.from(h, 'hex')),
          nowRoot,
        ),
      ).toBe(true)
    })

    it('refuses proof requests outside the tree with a 400 naming the field', async () => {
      const { ctx, saved } = await savedLog(5)
      const tooBig = await ctx.request({
        method: 'GET',
        url: `/v1/audit/proof?size=${saved.treeSize + 1}`,
      })
      expect(tooBig.statusCode).toBe(400)
      expect(tooBig.headers['content-type']).toMatch(/^application\/problem\+json/)
      expect(tooBig.json<{ errors: { field: string }[] }>().errors[0]?.field).toBe('query.size')
      const notNumber = await ctx.request({ method: 'GET', url: '/v1/audit/proof?size=abc' })
      expect(notNumber.statusCode).toBe(400)
      const noEntry = await ctx.request({
        method: 'GET',
        url: `/v1/audit/inclusion?seq=${saved.treeSize + 1}`,
        as: 'admin',
      })
      expect(noEntry.statusCode, noEntry.body).toBe(400)
      expect(noEntry.json<{ errors: { field: string }[] }>().errors[0]?.field).toBe('query.seq')
    })

    it('turns an existing chain (from before the tree) into leaves, then goes on appending', async () => {
      ctx = await createTestContext(dialect)
      await recordEntries(ctx, 40)
      // A database from before migration 0012: entries, no tree, no checkpoints.
      await sql`delete from audit_tree`.execute(ctx.storage.db)
      await sql`delete from audit_checkpoints`.execute(ctx.storage.db)
      const entries = (await ctx.services.audit.verify()).entries
      const first = await ctx.services.audit.checkpoint()
      expect(first.treeSize).toBe(entries)
      await recordEntries(ctx, 3, 'after upgrade')
      const result = await ctx.services.audit.verifyTree({ checkpoint: first.note })
      expect(result.problems).toEqual([])
      expect(result.entries).toBe(entries + 3)
      expect((await ctx.services.audit.checkpoint()).treeSize).toBe(entries + 3)
    })

    it('keeps the tree right across rolled-back writes and writes by another process', async () => {
      ctx = await createTestContext(dialect)
      const { storage, clock, services } = ctx
      await recordEntries(ctx, 5)
      await expect(
        storage.db.transaction().execute(async (trx) => {
          for (let i = 0; i < 3; i += 1) {
            await services.audit.record(trx, {
              actor: { kind: 'system', name: 'x' },
              action: 'undone',
            })
          }
          throw new Error('the change this entry describes failed')
        }),
      ).rejects.toThrow('failed')
      // Another process on the same database: its own audit log object, its own memory.
      const other = createAuditLog({
        db: storage.db,
        dialect: storage.dialect,
        clock,
        keys: services.keys,
      })
      for (let i = 0; i < 7; i += 1) {
        const log = i % 3 === 0 ? other : services.audit
        await log.recordNow({ actor: { kind: 'system', name: 'x' }, action: `write.${i}` })
      }
      await recordEntries(ctx, 4)
      const result = await services.audit.verifyTree()
      expect(result.problems).toEqual([])
      expect(result.entries).toBe((await services.audit.verify()).entries)
    })

    it('signs checkpoints by itself after writes', async () => {
      ctx = await createTestContext(dialect)
      const before = (await ctx.services.audit.checkpoint()).treeSize
      const job = ctx.services.audit.startCheckpoints({ afterWriteMs: 20, everyMs: 60_000 })
      try {
        await recordEntries(ctx, 3)
        await expect
          .poll(async () => (await ctx?.services.audit.latestCheckpoint())?.treeSize, {
            timeout: 5000,
          })
          .toBe(before + 3)
      } finally {
        await job.stop()
      }
    })
  })
}

describe('the audit signing key in the key file', () => {
  it('is added to a key file that has none, keeping every other key', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'candor-keys-'))
    try {
      const file = path.join(dir, 'keys.json')
      const { audit: _none, ...old } = generateKeyFile(new Date('2026-01-01T00:00:00Z'))
      writeKeyFile(file, old)
      const { keyring, created } = loadOrCreateKeyring(file, new Date())
      expect(created).toBe(false)
      const upgraded = readKeyFile(file)
      expect(upgraded.pseudonym).toEqual(old.pseudonym)
      expect(upgraded.master).toEqual(old.master)
      expect(upgraded.token).toEqual(old.token)
      expect(upgraded.audit?.origin).toMatch(/^candor\/audit\/[0-9a-f]{12}$/)
      expect(keyring.audit.active.secret).toHaveLength(32)
      // A second start keeps the same key.
      loadOrCreateKeyring(file, new Date())
      expect(readKeyFile(file).audit).toEqual(upgraded.audit)
      expect(fs.existsSync(`${file}.audit-lock`)).toBe(false)
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})
