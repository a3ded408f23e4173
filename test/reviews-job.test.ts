import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startBackgroundJobs } from '../src/main/jobs.js'
import type { Runtime } from '../src/main/runtime.js'
import { DIALECTS, type TestContext, createTestContext } from './helpers/test-context.js'

/**
 * Issue 20, point 6: the server runs every audit in the background (`reviews.audit`, every
 * CANDOR_AUDIT_INTERVAL_HOURS, at once on a new database) and keeps the report; 0 leaves it out.
 */
for (const dialect of DIALECTS) {
  describe(`the reviews.audit job on ${dialect}`, { timeout: 60_000 }, () => {
    let ctx: TestContext
    let off: TestContext
    // Only the job under test (and the ones that always run): no training, no retention.
    const quiet = { CANDOR_TRAIN_INTERVAL_MINUTES: '0', CANDOR_RETENTION_INTERVAL_MINUTES: '0' }
    beforeAll(async () => {
      ctx = await createTestContext(dialect, { env: quiet })
      off = await createTestContext(dialect, {
        env: { ...quiet, CANDOR_AUDIT_INTERVAL_HOURS: '0' },
      })
    })
    afterAll(async () => {
      await ctx?.close()
      await off?.close()
    })

    const runtimeOf = (c: TestContext) =>
      ({ config: c.config, services: c.services, logger: pino({ level: 'silent' }) }) as Runtime

    it('runs the audits at once on a new database, keeps the report and is due again a day later', async () => {
      const jobs = await startBackgroundJobs(runtimeOf(ctx))
      try {
        for (const started = Date.now(); ;) {
          if ((await ctx.services.reviews.latestReports()).latest !== null) break
          if (Date.now() - started > 30_000) throw new Error('no report within 30 s')
          await new Promise((resolve) => setTimeout(resolve, 100))
        }
      } finally {
        await jobs.stop()
      }
      const { latest } = await ctx.services.reviews.latestReports()
      expect(latest?.findings.length).toBeGreaterThan(0)
      const job = (await ctx.services.jobs.list()).find((j) => j.kind === 'reviews.audit')
      expect(job?.runs).toBe(1)
      expect(Date.parse(job!.dueAt!) - Date.parse(job!.lastStartedAt!)).toBeGreaterThanOrEqual(
        24 * 3_600_000,
      )
    })

    it('is left out with CANDOR_AUDIT_INTERVAL_HOURS=0', async () => {
      const jobs = await startBackgroundJobs(runtimeOf(off))
      await new Promise((resolve) => setTimeout(resolve, 1_500))
      await jobs.stop()
      expect((await off.services.jobs.list()).map((j) => j.kind)).not.toContain('reviews.audit')
      expect((await off.services.reviews.latestReports()).latest).toBeNull()
    })
  })
}
