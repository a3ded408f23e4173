import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCandor } from './helpers/cli.js'
import {
  DIALECTS,
  type DialectName,
  type TestDatabase,
  createTestDatabase,
  runSql,
} from './helpers/test-context.js'

async function tamper(database: TestDatabase, dialect: DialectName, seq: number) {
  await runSql(
    database,
    dialect,
    `update audit_log set action = 'api_key.nothing_to_see' where seq = ${seq}`,
  )
}

for (const dialect of DIALECTS) {
  describe(`candor CLI on ${dialect}`, { timeout: 120_000 }, () => {
    let database: TestDatabase
    let env: Record<string, string>
    beforeAll(async () => {
      database = await createTestDatabase(dialect)
      env = { CANDOR_DATA_DIR: database.dir, CANDOR_DATABASE_URL: database.url }
    })
    afterAll(async () => {
      await database?.drop()
    })

    it('migrates a fresh database, and again without change', () => {
      const first = runCandor(['migrate'], env)
      expect(first.code, first.stderr).toBe(0)
      const second = runCandor(['migrate'], env)
      expect(second.code).toBe(0)
      expect(second.stdout).toBe('database is up to date\n')
    })

    it('prints a new key alone on stdout, and refuses an unknown role by name', () => {
      const created = runCandor(['keys', 'create', '--role', 'admin', '--name', 'ops'], env)
      expect(created.code, created.stderr).toBe(0)
      expect(created.stdout).toMatch(/^ck_[a-z0-9]+\.[A-Za-z0-9_-]{43}\n$/)
      const listed = runCandor(['keys', 'list'], env)
      expect(listed.stdout).toMatch(/key_[a-z0-9]+\tadmin\tactive\tops/)
      expect(listed.stdout).not.toContain(created.stdout.trim().split('.')[1])
      const wrong = runCandor(['keys', 'create', '--role', 'superuser'], env)
      expect(wrong.code).not.toBe(0)
      expect(wrong.stderr).toContain('expected one of storefront, analyst, privacy_officer, admin')
    })

    it('verifies the audit chain, and names the first tampered entry', async () => {
      runCandor(['keys', 'create', '--role', 'analyst'], env)
      const ok = runCandor(['audit', 'verify'], env)
      expect(ok.code, ok.stderr).toBe(0)
      expect(ok.stdout).toMatch(/^audit chain intact: 2 entries/)
      await tamper(database, dialect, 2)
      const broken = runCandor(['audit', 'verify'], env)
      expect(broken.code).toBe(1)
      expect(broken.stdout).toContain('audit chain BROKEN at entry 2: entry content changed')
    })

    it('stops on a wrong setting with a message naming the variable', () => {
      const result = runCandor(['migrate'], { ...env, CANDOR_PORT: 'http' })
      expect(result.code).toBe(1)
      expect(result.stderr).toContain('configuration error: CANDOR_PORT')
    })

    it('has --help on every command', () => {
      for (const args of [[], ['keys', 'create']]) {
        const result = runCandor([...args, '--help'], env)
        expect(result.code, args.join(' ')).toBe(0)
        expect(result.stdout).toContain('Usage: candor')
      }
    })
  })
}

describe('candor charter check', { timeout: 60_000 }, () => {
  it('passes the example charter and names the line of a broken rule', () => {
    const ok = runCandor(['charter', 'check', 'candor.charter.yaml'], {})
    expect(ok.code, ok.stderr).toBe(0)
    expect(ok.stdout).toMatch(
      /candor\.charter\.yaml: valid \(\d+ purposes, notice version [0-9a-f]{12}\)/,
    )
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'candor-charter-'))
    const file = path.join(dir, 'broken.yaml')
    const text = fs.readFileSync('candor.charter.yaml', 'utf8')
    const lines = text.split('\n')
    const at = lines.findIndex((line) => line.includes('retentionDays: 395'))
    lines[at] = lines[at]!.replace('retentionDays: 395', 'retentionDays: forever')
    fs.writeFileSync(file, lines.join('\n'))
    const broken = runCandor(['charter', 'check', file], {})
    expect(broken.code).toBe(1)
    expect(broken.stdout).toContain(`${file}:${at + 1}:`)
    expect(broken.stdout).toMatch(/1 problem/)
    fs.rmSync(dir, { recursive: true })
  })
})
