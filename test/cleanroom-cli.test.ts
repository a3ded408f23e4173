import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { blindAddress, reblind, uploadScalar } from '../src/modules/insights/cleanroom.psi.js'
import { spawn } from 'node:child_process'
import { CLI, runCandor } from './helpers/cli.js'
import { type TestContext, createTestContext } from './helpers/test-context.js'

/** `runCandor` without blocking this process, whose own server the command talks to. */
function runCandorAsync(args: string[], env: Record<string, string>) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
      env: { ...process.env, CANDOR_LOG_LEVEL: 'warn', ...env },
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

/**
 * Issue 19: `candor cleanroom blind|reblind|match`, the partner's side, as separate processes on real
 * files, with no database and no Candor key file: the round trip meets Candor's side exactly on the
 * shared addresses, and `match` runs the whole exchange against a real server.
 */
describe('candor cleanroom', { timeout: 180_000 }, () => {
  let dir: string
  let env: Record<string, string>
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'candor-cleanroom-'))
    // A data dir that must stay empty: the partner's commands open no database and make no key file.
    fs.mkdirSync(path.join(dir, 'data'))
    env = {
      CANDOR_DATA_DIR: path.join(dir, 'data'),
      CANDOR_DATABASE_URL: 'postgres://nowhere.invalid/x',
    }
  })
  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true })
  })

  it('blinds a CSV with a 0600 key made on first use, and reblinds Candor’s answer in order', () => {
    const file = path.join(dir, 'customers.csv')
    fs.writeFileSync(
      file,
      'email,name\n"Ana@Example.org",Ana\nbo@example.org,Bo\n\ncy@example.org,Cy\nbo@example.org,Bo again\n',
    )
    const key = path.join(dir, 'keys', 'partner.key')
    const blinded = path.join(dir, 'blinded.json')
    const first = runCandor(['cleanroom', 'blind', file, '--key', key, '--out', blinded], env)
    expect(first.code, first.stderr).toBe(0)
    expect(first.stderr).toContain('blinded 3 distinct addresses, skipped 1 lines without one')
    expect(fs.statSync(key).mode & 0o777).toBe(0o600)
    const body = JSON.parse(fs.readFileSync(blinded, 'utf8')) as { blinded: string[] }
    expect(body.blinded).toHaveLength(3)
    const text = fs.readFileSync(blinded, 'utf8').toLowerCase()
    for (const address of ['ana@example.org', 'bo@example.org', 'cy@example.org'])
      expect(text).not.toContain(address)

    // Candor's side of an upload, computed here with its own scalar: two shared, one not.
    const b = uploadScalar(randomBytes(32), 'cru_clitest')
    const candorAddresses = ['ana@example.org', 'cy@example.org', 'dee@example.org']
    const answer = {
      uploadId: 'cru_clitest',
      candorBlinded: candorAddresses.map((a) => blindAddress(a, b)),
    }
    const answerFile = path.join(dir, 'candor.json')
    fs.writeFileSync(answerFile, JSON.stringify(answer))
    const reblindedFile = path.join(dir, 'reblinded.json')
    const second = runCandor(
      ['cleanroom', 'reblind', answerFile, '--key', key, '--out', reblindedFile],
      env,
    )
    expect(second.code, second.stderr).toBe(0)
    const { reblinded } = JSON.parse(fs.readFileSync(reblindedFile, 'utf8')) as {
      reblinded: string[]
    }
    expect(reblinded).toHaveLength(3)
    // What Candor does on matching: the partner's values raised to b, against the reblinded list.
    const partnerSide = new Set(body.blinded.map((v) => reblind(v, b)))
    expect(reblinded.map((v) => partnerSide.has(v))).toEqual([true, true, false])
    // The same key again (not a new one), and nothing was written to the data dir.
    const again = runCandor(['cleanroom', 'blind', file, '--key', key], env)
    expect(again.stderr).not.toContain('made a new key')
    expect(fs.readdirSync(path.join(dir, 'data'))).toEqual([])

    const bad = runCandor(['cleanroom', 'reblind', file, '--key', key], env)
    expect(bad.code).toBe(1)
    expect(bad.stderr).toContain('cannot be read as JSON')
    expect(bad.stderr).not.toContain('example.org')
  })

  describe('match against a server', () => {
    let ctx: TestContext
    let url: string
    beforeAll(async () => {
      ctx = await createTestContext('sqlite')
      await ctx.app.listen({ port: 0, host: '127.0.0.1' })
      url = `http://127.0.0.1:${(ctx.app.server.address() as AddressInfo).port}`
    })
    afterAll(async () => {
      await ctx?.close()
    })

    it('does the whole exchange with CANDOR_API_KEY and stores the overlap', async () => {
      const version = (await ctx.request({ method: 'GET', url: '/v1/notice' })).json().version
      for (const ref of ['m-1', 'm-2']) {
        const granted = await ctx.request({
          method: 'PUT',
          url: `/v1/subjects/${ref}/consents/analytics.clean_room`,
          as: 'storefront',
          payload: {
            decision: 'granted',
            method: 'banner',
            noticeVersion: version,
            jurisdiction: 'UK',
          },
        })
        expect(granted.statusCode).toBe(200)
        const subjectId = (await ctx.services.identity.findSubjectId(ref))!
        await ctx.services.identity.writeVault(ctx.storage.db, subjectId, {
          email: `${ref}@shop.example`,
        })
      }
      const file = path.join(dir, 'list.txt')
      fs.writeFileSync(file, 'M-1@shop.example\nnobody@shop.example\n')
      const key = path.join(dir, 'match.key')
      const run = await runCandorAsync(
        ['cleanroom', 'match', file, '--server', url, '--key', key],
        {
          ...env,
          CANDOR_API_KEY: ctx.keys.partner,
        },
      )
      expect(run.code, run.stderr).toBe(0)
      const out = JSON.parse(run.stdout) as { uploadId: string; state: string }
      expect(out.state).toBe('matched')
      const { rows } = await sql<{ subject_id: string }>`
        select subject_id from cleanroom_matches where upload_id = ${out.uploadId}`.execute(
        ctx.storage.db,
      )
      expect(rows.map((r) => r.subject_id)).toEqual([
        await ctx.services.identity.findSubjectId('m-1'),
      ])
      const refused = await runCandorAsync(
        ['cleanroom', 'match', file, '--server', url, '--key', key],
        {
          ...env,
          CANDOR_API_KEY: ctx.keys.analyst,
        },
      )
      expect(refused.code).toBe(1)
      expect(refused.stderr).toContain('403')
    })
  })
})
