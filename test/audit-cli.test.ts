import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCandor } from './helpers/cli.js'
import { DIALECTS, type TestDatabase, createTestDatabase, runSql } from './helpers/test-context.js'

for (const dialect of DIALECTS) {
  describe(`candor audit checkpoint and verify on ${dialect}`, { timeout: 180_000 }, () => {
    let database: TestDatabase
    let env: Record<string, string>
    beforeAll(async () => {
      database = await createTestDatabase(dialect)
      env = { CANDOR_DATA_DIR: database.dir, CANDOR_DATABASE_URL: database.url }
    })
    afterAll(async () => {
      await database?.drop()
    })

    it('exits 0 against a saved checkpoint while the log only grows, and non-zero with the reason once it is truncated', async () => {
      for (const role of ['analyst', 'admin', 'storefront']) {
        const created = runCandor(['keys', 'create', '--role', role], env)
        expect(created.code, created.stderr).toBe(0)
      }
      const checkpoint = runCandor(['audit', 'checkpoint'], env)
      expect(checkpoint.code, checkpoint.stderr).toBe(0)
      expect(checkpoint.stdout).toMatch(
        /^candor\/audit\/[0-9a-f]{12}\n3\n[A-Za-z0-9+/]{43}=\ntimestamp \S+\n\n\u2014 candor\/audit\/[0-9a-f]{12} \S+\n$/,
      )
      const saved = path.join(database.dir, 'checkpoint.txt')
      fs.writeFileSync(saved, checkpoint.stdout)

      const json = runCandor(['audit', 'checkpoint', '--json'], env)
      expect(JSON.parse(json.stdout)).toMatchObject({ treeSize: 3, note: checkpoint.stdout })
      const savedJson = path.join(database.dir, 'checkpoint.json')
      fs.writeFileSync(savedJson, json.stdout)
      const key = runCandor(['audit', 'checkpoint', '--public-key'], env)
      expect(key.stdout).toMatch(/^candor\/audit\/[0-9a-f]{12}\+[0-9a-f]{8}\+[A-Za-z0-9+/=]{44}\n$/)

      runCandor(['keys', 'create', '--role', 'analyst'], env)
      const intact = runCandor(['audit', 'verify', '--checkpoint', saved, '--entry', '2'], env)
      expect(intact.code, intact.stdout + intact.stderr).toBe(0)
      expect(intact.stdout).toMatch(/^audit chain intact: 4 entries/)
      expect(intact.stdout).toContain('audit tree intact: 4 entries')
      expect(intact.stdout).toContain('consistent with the saved checkpoint: size 3, signed ')
      expect(intact.stdout).toContain(
        'entry 2 is included: leaf 1 of 4, inclusion proof of 2 hashes holds',
      )
      const fromJson = runCandor(['audit', 'verify', '--checkpoint', savedJson], env)
      expect(fromJson.code, fromJson.stdout).toBe(0)

      // Truncation: the last two entries removed, tree and stored checkpoints with them.
      await runSql(database, dialect, 'delete from audit_log where seq > 2')
      await runSql(database, dialect, 'delete from audit_tree where idx >= 0')
      await runSql(database, dialect, 'delete from audit_checkpoints where tree_size >= 0')
      const truncated = runCandor(['audit', 'verify', '--checkpoint', saved], env)
      // stderr in the message: once, on a loaded machine, this exited 1 with nothing on stdout.
      expect(truncated.code, truncated.stderr).toBe(1)
      expect(truncated.stdout, truncated.stderr).toMatch(/^audit chain intact: 2 entries/)
      expect(truncated.stdout).toContain('audit tree TAMPERED:')
      expect(truncated.stdout).toContain(
        'the log holds 2 entries but the saved checkpoint (size 3) covers 3: entries were removed (truncated)',
      )
    })

    it('exits non-zero on a checkpoint signed by another key or altered, and on an unreadable file', () => {
      const other = path.join(database.dir, 'other')
      fs.mkdirSync(other)
      const otherEnv = {
        CANDOR_DATA_DIR: other,
        CANDOR_DATABASE_URL: `sqlite:${path.join(other, 'candor.sqlite')}`,
      }
      const foreign = runCandor(['audit', 'checkpoint'], otherEnv)
      expect(foreign.code, foreign.stderr).toBe(0)
      const file = path.join(database.dir, 'foreign.txt')
      fs.writeFileSync(file, foreign.stdout)
      const result = runCandor(['audit', 'verify', '--checkpoint', file], env)
      expect(result.code).toBe(1)
      expect(result.stdout).toContain('the checkpoint is for another log')

      const garbage = path.join(database.dir, 'garbage.txt')
      fs.writeFileSync(garbage, 'not a checkpoint at all')
      const bad = runCandor(['audit', 'verify', '--checkpoint', garbage], env)
      expect(bad.code).toBe(1)
      expect(bad.stdout).toContain('not a checkpoint: no blank line before the signature lines')

      const missing = runCandor(['audit', 'verify', '--checkpoint', `${garbage}.nope`], env)
      expect(missing.code).not.toBe(0)
      expect(missing.stderr).toContain('ENOENT')
    })
  })
}
