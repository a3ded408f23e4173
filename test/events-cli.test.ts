import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCandor } from './helpers/cli.js'
import { type TestDatabase, createTestDatabase } from './helpers/test-context.js'

const FIXTURE = path.resolve('test/fixtures/uci-online-retail-sample.csv')

function candor(args: string[], env: Record<string, string>) {
  return runCandor(args, { CANDOR_DEMO: 'off', ...env })
}

describe('candor import orders and candor retention run (CLI)', () => {
  let database: TestDatabase
  let env: Record<string, string>
  beforeAll(async () => {
    database = await createTestDatabase('sqlite')
    env = { CANDOR_DATA_DIR: database.dir, CANDOR_DATABASE_URL: database.url }
  })
  afterAll(async () => {
    await database?.drop()
  })

  it('needs a declared basis, and names the ones the charter allows', () => {
    const missing = candor(['import', 'orders', FIXTURE], env)
    expect(missing.code).not.toBe(0)
    expect(missing.stderr).toContain('--basis')
    const contract = candor(['import', 'orders', FIXTURE, '--basis', 'contract'], env)
    expect(contract.code).toBe(1)
    expect(contract.stderr).toContain('legitimate_interest')
  })

  it('prints what was stored and refused; orders older than their retention are not kept', () => {
    // The sample is from 2010: with today's clock, every purpose's retention has long run out.
    const run = candor(
      ['import', 'orders', FIXTURE, '--basis', 'legitimate_interest', '--jurisdiction', 'UK'],
      env,
    )
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toContain('import complete: 320/320 lines')
    expect(run.stdout).toContain('stored: 0')
    expect(run.stdout).toContain('refused expired: 291')
    expect(run.stdout).toContain('refused no_customer: 20')
    expect(run.stdout).toContain('refused malformed: 9')
    const again = candor(['import', 'orders', FIXTURE, '--basis', 'legitimate_interest'], env)
    expect(again.stdout).toContain('already imported')
    const retention = candor(['retention', 'run'], env)
    expect(retention.code, retention.stderr).toBe(0)
    expect(retention.stdout).toMatch(/^retention: \d+ expired records deleted/)
  })
})
