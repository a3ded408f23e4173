import fs from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCandor } from './helpers/cli.js'
import { type TestDatabase, createTestDatabase } from './helpers/test-context.js'

describe('candor CLI basics', { timeout: 120_000 }, () => {
  let database: TestDatabase
  let env: Record<string, string>
  beforeAll(async () => {
    database = await createTestDatabase('sqlite')
    env = { CANDOR_DATA_DIR: database.dir, CANDOR_DATABASE_URL: database.url }
  })
  afterAll(async () => {
    await database?.drop()
  })

  it('prints the package version with --version and -V', () => {
    const { version } = JSON.parse(fs.readFileSync('package.json', 'utf8')) as { version: string }
    for (const flag of ['--version', '-V']) {
      const run = runCandor([flag], env)
      expect(run.code, run.stderr).toBe(0)
      expect(run.stdout).toBe(`${version}\n`)
    }
  })

  it('lists keys under a header row, and says how to make one when there are none', () => {
    const none = runCandor(['keys', 'list'], env)
    expect(none.code, none.stderr).toBe(0)
    expect(none.stdout).toBe('')
    expect(none.stderr).toContain('candor keys create --role')
    runCandor(['keys', 'create', '--role', 'analyst', '--name', 'reports'], env)
    const listed = runCandor(['keys', 'list'], env)
    const lines = listed.stdout.trimEnd().split('\n')
    expect(lines[0]).toBe('ID\tROLE\tSTATE\tNAME')
    expect(lines[1]).toMatch(/^key_[a-z0-9]+\tanalyst\tactive\treports$/)
  })

  it('offers in import --help only the bases the charter allows, and refuses others before reading', () => {
    const help = runCandor(['import', 'orders', '--help'], env)
    expect(help.code, help.stderr).toBe(0)
    const basis = help.stdout.replace(/\s+/g, ' ')
    expect(basis).toContain('the charter allows: consent, legitimate_interest')
    expect(basis).not.toContain('contract')
    const refused = runCandor(['import', 'orders', 'missing.csv', '--basis', 'contract'], env)
    expect(refused.code).not.toBe(0)
    expect(refused.stderr).toContain('the charter allows one of consent, legitimate_interest')
  })

  it('logs JSON lines by default when not on a terminal, readable lines with CANDOR_LOG_FORMAT=pretty', async () => {
    const fresh = await createTestDatabase('sqlite')
    try {
      const base = { CANDOR_DATA_DIR: fresh.dir, CANDOR_DATABASE_URL: fresh.url }
      // The first command creates the key file and warns about it: the line shows the format.
      const pretty = runCandor(['migrate'], { ...base, CANDOR_LOG_FORMAT: 'pretty' })
      expect(pretty.code, pretty.stderr).toBe(0)
      expect(pretty.stderr).toMatch(/WARN.*created a new secret key file/)
      expect(pretty.stderr).not.toContain('{"level"')
      fs.rmSync(`${fresh.dir}/candor.keys.json`)
      fs.rmSync(`${fresh.dir}/candor.sqlite`, { force: true })
      const json = runCandor(['migrate'], base)
      const line = json.stderr.split('\n').find((l) => l.includes('secret key file'))
      expect(JSON.parse(line ?? '{}')).toMatchObject({ level: 40 })
    } finally {
      await fresh.drop()
    }
  })
})
