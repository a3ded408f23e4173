import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { ensureDemoStaffKey } from '../src/modules/demo/index.js'
import { openRuntime } from '../src/main/runtime.js'

const mode = (file: string) => fs.statSync(file).mode & 0o777

describe('files on disk are readable by their owner only', () => {
  let dir: string | undefined
  afterEach(() => {
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true })
  })

  async function start(dataDir: string) {
    const runtime = await openRuntime(
      { CANDOR_DATA_DIR: dataDir, CANDOR_DEMO: 'off', CANDOR_LOG_LEVEL: 'silent' },
      { logLevel: 'silent', logDestination: 2 },
    )
    // A write, so SQLite has its WAL and shared-memory files open.
    await runtime.services.auth.createApiKey('analyst', 'modes', { kind: 'cli', command: 'test' })
    return runtime
  }

  it('creates the data dir 0700 and the database, its WAL/SHM, the key file and the staff key 0600', async () => {
    // A permissive umask, as many systems have: the modes must not depend on it.
    const umask = process.umask(0o002)
    try {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'candor-modes-'))
      const dataDir = path.join(dir, 'data')
      const runtime = await start(dataDir)
      const staffKey = await ensureDemoStaffKey(runtime.services, dataDir)
      try {
        expect(mode(dataDir).toString(8)).toBe('700')
        for (const file of [
          'candor.sqlite',
          'candor.sqlite-wal',
          'candor.sqlite-shm',
          'candor.keys.json',
        ]) {
          expect(mode(path.join(dataDir, file)).toString(8), file).toBe('600')
        }
        expect(mode(staffKey).toString(8)).toBe('600')
      } finally {
        await runtime.close()
      }
    } finally {
      process.umask(umask)
    }
  })

  it('tightens a data dir and database an older version left readable by others', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'candor-modes-'))
    const dataDir = path.join(dir, 'data')
    await (await start(dataDir)).close()
    fs.chmodSync(dataDir, 0o755)
    fs.chmodSync(path.join(dataDir, 'candor.sqlite'), 0o644)
    const runtime = await start(dataDir)
    try {
      expect(mode(dataDir).toString(8)).toBe('700')
      expect(mode(path.join(dataDir, 'candor.sqlite')).toString(8)).toBe('600')
    } finally {
      await runtime.close()
    }
  })
})
