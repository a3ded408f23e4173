import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIALECTS, type TestContext, createTestContext } from './helpers/test-context.js'
import { dumpDatabase } from './helpers/raw-scan.js'
import { seedShopper } from './helpers/shoppers.js'

for (const dialect of DIALECTS) {
  describe(`erasure survives a crash on ${dialect}`, () => {
    let ctx: TestContext
    beforeAll(async () => {
      ctx = await createTestContext(dialect)
    })
    afterAll(async () => {
      await ctx?.close()
    })

    it('finishes after the process is killed mid-way, doing each step once', async () => {
      const { subjectId } = await seedShopper(ctx, 'crash-subject-99', {
        email: 'crash@example.org',
        events: 50,
      })
      const created = await ctx.services.rights.create(
        { type: 'erasure', subject: 'crash-subject-99' },
        'staff',
        { kind: 'system', name: 'test' },
      )
      expect(created.status).toBe('verified')
      const child = spawnSync(
        process.execPath,
        [
          '--import',
          'tsx',
          path.resolve('test/fixtures/erasure-child.ts'),
          created.id,
          'erase:events',
        ],
        {
          env: {
            ...process.env,
            CANDOR_DATA_DIR: ctx.database.dir,
            CANDOR_DATABASE_URL: ctx.database.url,
            CANDOR_LOG_LEVEL: 'silent',
          },
          encoding: 'utf8',
          timeout: 60_000,
        },
      )
      expect(child.signal, child.stderr).toBe('SIGKILL')
      expect(child.stdout).toBe('done erase:recommend\ndone erase:events\n')
      const midway = await ctx.services.rights.get(created.id)
      expect(midway).toMatchObject({
        status: 'in_progress',
        stepsDone: ['erase:recommend', 'erase:events'],
      })
      expect((await ctx.services.events.exportSubject(subjectId)).events).toHaveLength(0)
      expect(await ctx.services.identity.readVault(subjectId)).toBeDefined()

      // "Restart": the dead process's lease runs out, and the pending job is picked up again.
      ctx.clock.set(new Date(Date.now() + 5 * 60_000))
      expect(await ctx.services.rights.processPending()).toBe(1)
      const done = await ctx.services.rights.get(created.id)
      expect(done.status).toBe('completed')
      expect(done.stepsDone).toEqual([
        'erase:recommend',
        'erase:events',
        'erase:consent',
        'erase:audit',
        'erase:identity',
      ])
      // The events step ran once: its count comes from the first (killed) run.
      expect(done.result?.events).toEqual({ events: 50 })
      expect(await ctx.services.identity.findSubjectId('crash-subject-99')).toBeUndefined()
      const dump = await dumpDatabase(ctx)
      expect(dump.includes('crash@example.org')).toBe(false)
      expect(dump.includes('crash-subject-99')).toBe(false)
    })
  })
}
