import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { keyAges, reviewSecurity, transport } from '../src/modules/reviews/reviews.security.js'
import { DIALECTS, type TestContext, createTestContext, runSql } from './helpers/test-context.js'

const DAY = 86_400_000

describe('security review rules', () => {
  const now = new Date('2027-01-01T00:00:00Z')
  const at = (days: number) => new Date(now.getTime() - days * DAY).toISOString()
  it('flags a key unused for 90 days (or never used that long after it was made) and one over a year old', () => {
    const ages = keyAges(
      [
        { id: 'key_a', role: 'admin', created_at: at(100), last_used_at: null },
        { id: 'key_b', role: 'admin', created_at: at(100), last_used_at: at(1) },
        { id: 'key_c', role: 'analyst', created_at: at(400), last_used_at: at(2) },
        { id: 'key_d', role: 'analyst', created_at: at(10), last_used_at: null },
        { id: 'key_e', role: 'analyst', created_at: at(200), last_used_at: at(95) },
      ],
      now,
    )
    expect(ages.map((k) => k.flagged)).toEqual(['unused', null, 'old', null, 'unused'])
    expect(ages[1]).toMatchObject({ ageDays: 100, lastUsedDays: 1 })
  })
  it('warns of CORS for every origin and of no TLS without a trusted proxy', () => {
    const base = { dataDir: '/x', keyFile: '/x/k', tls: undefined, trustedProxies: [] }
    expect(transport({ ...base, corsOrigins: ['*'] }).problem).toContain('every origin')
    expect(transport({ ...base, corsOrigins: [] }).problem).toContain('TLS')
    expect(
      transport({ ...base, corsOrigins: [], trustedProxies: ['10.0.0.0/8'] }).problem,
    ).toBeNull()
  })
})

for (const dialect of DIALECTS) {
  describe(`security review on ${dialect}`, () => {
    let ctx: TestContext
    const review = (authFailures?: { failures: number; blocked: number }) =>
      reviewSecurity(
        { db: ctx.storage.db, config: ctx.config, audit: ctx.services.audit },
        ctx.clock.now(),
        { authFailures },
      )
    beforeAll(async () => {
      ctx = await createTestContext(dialect, { env: { CANDOR_TRUSTED_PROXIES: '10.0.0.0/8' } })
    })
    afterAll(async () => {
      await ctx?.close()
    })

    it('reports an old unused key, and not one that is in use', async () => {
      const planted = await ctx.services.auth.createApiKey('analyst', 'forgotten', {
        kind: 'cli',
        command: 'test',
      })
      ctx.clock.advance(120 * DAY)
      // The admin key is used now; the planted key never is.
      expect(
        (await ctx.request({ method: 'GET', url: '/v1/admin/keys', as: 'admin' })).statusCode,
      ).toBe(200)
      const { part, findings } = await review()
      const plantedAge = part.keys.find((k) => k.keyId === planted.info.id)!
      expect(plantedAge).toMatchObject({ ageDays: 120, lastUsedDays: null, flagged: 'unused' })
      const admin = part.keys.find((k) => k.role === 'admin')!
      expect(admin).toMatchObject({ lastUsedDays: 0, flagged: null })
      const f = findings.find((x) => x.check === 'security.key_unused')!
      expect(f.severity).toBe('warning')
      expect(f.detail).toContain(planted.info.id)
      expect(f.detail).not.toContain(planted.key)
    })

    it('verifies the audit log, and reports it once an entry is changed', async () => {
      const ok = await review()
      expect(ok.part.auditLog.ok).toBe(true)
      expect(ok.part.auditLog.entries).toBeGreaterThan(0)
      await runSql(
        ctx.database,
        dialect,
        `update audit_log set actor = 'someone else' where seq = 1`,
      )
      const broken = await review()
      expect(broken.part.auditLog.ok).toBe(false)
      expect(broken.findings.find((x) => x.check === 'security.audit_log')?.severity).toBe(
        'problem',
      )
    })

    it('reports files of the data directory that other users may read', async () => {
      const file = path.join(ctx.config.dataDir, 'exported.json')
      fs.writeFileSync(file, '{}', { mode: 0o600 })
      fs.chmodSync(ctx.config.dataDir, 0o700)
      const clean = await review()
      expect(clean.findings.find((x) => x.check === 'security.file_modes')?.severity).toBe('ok')
      fs.chmodSync(file, 0o644)
      const { part, findings } = await review()
      expect(part.files.find((x) => x.path === 'exported.json')).toMatchObject({ mode: '644' })
      expect(findings.find((x) => x.check === 'security.file_modes')?.severity).toBe('problem')
    })

    it('reports failed authentications when the server passes its counters', async () => {
      expect((await review()).part.failedAuthentications).toBeNull()
      const { part, findings } = await review({ failures: 12, blocked: 3 })
      expect(part.failedAuthentications).toEqual({ count: 12, blocked: 3 })
      expect(findings.find((x) => x.check === 'security.failed_auth')?.severity).toBe('warning')
      expect(part.transport).toMatchObject({ tls: false, problem: null })
    })
  })
}
