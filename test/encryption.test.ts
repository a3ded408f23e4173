import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { parseConfig } from '../src/config.js'
import { openRuntime } from '../src/main/runtime.js'

const KEY = 'correct horse battery staple'
const MARKER = 'marker-name-4f1c2e'

describe('encryption at rest for SQLite (CANDOR_DATABASE_KEY)', () => {
  let dir: string | undefined
  afterEach(() => {
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true })
  })

  const open = (dataDir: string, key: string) =>
    openRuntime(
      { CANDOR_DATA_DIR: dataDir, CANDOR_DEMO: 'off', CANDOR_DATABASE_KEY: key },
      { logLevel: 'silent', logDestination: 2 },
    )

  it('writes no readable page: neither the SQLite header nor any stored text is in the file or its WAL', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'candor-enc-'))
    const runtime = await open(dir, KEY)
    await runtime.services.auth.createApiKey('analyst', MARKER, { kind: 'cli', command: 'test' })
    // Read while open (the WAL holds the latest pages), then after closing (checkpointed into the file).
    const scan = () => {
      for (const file of ['candor.sqlite', 'candor.sqlite-wal']) {
        const full = path.join(dir!, file)
        if (!fs.existsSync(full)) continue
        const bytes = fs.readFileSync(full)
        expect(bytes.includes(Buffer.from('SQLite format 3')), file).toBe(false)
        expect(bytes.includes(Buffer.from(MARKER)), file).toBe(false)
        expect(bytes.includes(Buffer.from('api_keys')), file).toBe(false)
      }
    }
    scan()
    await runtime.close()
    scan()

    const again = await open(dir, KEY)
    const keys = await again.services.auth.listApiKeys()
    expect(keys.map((k) => k.name)).toContain(MARKER)
    await again.close()
  })

  it('stops at start with a clear error for a wrong key, and never echoes the key', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'candor-enc-'))
    await (await open(dir, KEY)).close()
    const wrong = 'a wrong key of enough length'
    const failure = await open(dir, wrong).then(
      () => undefined,
      (error: unknown) => error as Error,
    )
    expect(failure?.message).toMatch(/CANDOR_DATABASE_KEY does not open this database/)
    expect(failure?.message).not.toContain(wrong)
  })

  it('is refused for PostgreSQL and for a short key, naming the variable', () => {
    expect(() =>
      parseConfig({ CANDOR_DATABASE_URL: 'postgres://u:p@h/db', CANDOR_DATABASE_KEY: KEY }),
    ).toThrow(/CANDOR_DATABASE_KEY: applies to the SQLite database only/)
    expect(() => parseConfig({ CANDOR_DATABASE_KEY: 'short' })).toThrow(
      /CANDOR_DATABASE_KEY: must be at least 16 characters/,
    )
  })
})
