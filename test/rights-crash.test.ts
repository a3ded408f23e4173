import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import { sql } from 'kysely'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIALECTS, type TestContext, createTestContext } from './helpers/test-context.js'
import { dataDirFiles, findInDataDir } from './helpers/data-dir-scan.js'
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

    it('a restart finishes it at once after the process is killed mid-way, doing each step once', async () => {
      const { subjectId } = await seedShopper(ctx, 'crash-subject-99', {
        email: 'crash@example.org',
        events: 50,
      })
      // A code on its way to the shopper for another request of theirs: a message in the outbox.
      const waiting = await ctx.services.rights.create(
        { type: 'access', subject: 'crash-subject-99' },
        'self_service',
        { kind: 'system', name: 'test' },
      )
      expect(waiting.status).toBe('received')
      expect(findInDataDir(ctx.database.dir, ['crash@example.org'])).not.toEqual([])
      const created = await ctx.services.rights.create(
        { type: 'erasure', subject: 'crash-subject-99' },
        'staff',
        { kind: 'system', name: 'test' },
      )
      expect(created.status).toBe('verified')
      const childEnv = {
        ...process.env,
        CANDOR_DATA_DIR: ctx.database.dir,
        CANDOR_DATABASE_URL: ctx.database.url,
        CANDOR_LOG_LEVEL: 'silent',
      }
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
          env: childEnv,
          encoding: 'utf8',
          timeout: 60_000,
        },
      )
      expect(child.signal, child.stderr).toBe('SIGKILL')
      expect(child.stdout).toBe(
        'done erase:recommend\ndone erase:cleanroom\ndone erase:voice\ndone erase:assistant\ndone erase:experiments\ndone erase:vendors\ndone erase:events\n',
      )
      const midway = await ctx.services.rights.get(created.id)
      expect(midway).toMatchObject({
        status: 'in_progress',
        stepsDone: [
          'erase:recommend',
          'erase:cleanroom',
          'erase:voice',
          'erase:assistant',
          'erase:experiments',
          'erase:vendors',
          'erase:events',
        ],
      })
      expect((await ctx.services.events.exportSubject(subjectId)).events).toHaveLength(0)
      expect(await ctx.services.identity.readVault(subjectId)).toBeDefined()

      // The dead process still holds its job's lease in the job table (a few seconds, no longer
      // renewed), naming itself as the holder.
      const [lease] = (
        await sql<{
          lease_until: string
          lease_holder: string
        }>`select lease_until, lease_holder from jobs where kind = 'rights.request' and job_key = ${created.id}`.execute(
          ctx.storage.db,
        )
      ).rows
      expect(lease!.lease_until).not.toBeNull()
      expect(JSON.parse(lease!.lease_holder)[3]).toBe(child.pid)

      // A restart resumes it at once: the holder is provably dead (this machine, no such process).
      const restart = spawnSync(
        process.execPath,
        ['--import', 'tsx', path.resolve('test/fixtures/erasure-restart-child.ts')],
        { env: childEnv, encoding: 'utf8', timeout: 60_000 },
      )
      expect(restart.status, restart.stderr).toBe(0)
      const resumed = JSON.parse(restart.stdout) as { done: number; ms: number }
      expect(resumed.done).toBe(1)
      expect(resumed.ms).toBeLessThan(5_000)
      // (That the holder was proved dead rather than waited out is tested with a clock that does not
      // move, in test/jobs.test.ts: the lease is now seconds long, shorter than a process start here.)
      // The finished job left the table.
      expect(
        (await sql`select 1 from jobs where job_key = ${created.id}`.execute(ctx.storage.db)).rows,
      ).toEqual([])
      const done = await ctx.services.rights.get(created.id)
      expect(done.status).toBe('completed')
      expect(done.stepsDone).toEqual([
        'erase:recommend',
        'erase:cleanroom',
        'erase:voice',
        'erase:assistant',
        'erase:experiments',
        'erase:vendors',
        'erase:events',
        'erase:consent',
        'erase:audit',
        'erase:outbox',
        'erase:offers',
        'erase:identity',
      ])
      // The events step ran once: its count comes from the first (killed) run.
      expect(done.result?.events).toEqual({ events: 50 })
      expect(await ctx.services.identity.findSubjectId('crash-subject-99')).toBeUndefined()
      // (The restart's system clock is past the test clock's code expiry: the message may have gone as
      // expired before the outbox step; either way it is gone.)
      expect(fs.readdirSync(path.join(ctx.database.dir, 'outbox'))).toEqual([])
      const dump = await dumpDatabase(ctx)
      expect(dump.includes('crash@example.org')).toBe(false)
      expect(dump.includes('crash-subject-99')).toBe(false)
      // Every file of the data dir, the key file included (it holds keys only): no address, no
      // reference, and the pseudonym nowhere but in the database.
      expect(dataDirFiles(ctx.database.dir)).toContain('candor.keys.json')
      expect(findInDataDir(ctx.database.dir, ['crash@example.org', 'crash-subject-99'])).toEqual([])
      expect(
        findInDataDir(ctx.database.dir, [subjectId]).filter(
          (hit) => !hit.startsWith('candor.sqlite'),
        ),
      ).toEqual([])
    })
  })
}
