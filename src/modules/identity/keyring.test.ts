import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import {
  addMasterKey,
  createKeyringHolder,
  generateKeyFile,
  readKeyring,
  writeKeyFile,
} from './keyring.js'

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'candor-keyring-'))
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

describe('createKeyringHolder', () => {
  it('re-reads the key file on reload only when it changed', () => {
    const file = path.join(dir, 'keys.json')
    writeKeyFile(file, generateKeyFile(new Date('2026-03-01T00:00:00Z')))
    const holder = createKeyringHolder(readKeyring(file), file)
    const first = holder.reload()
    // Unchanged file: the same keyring, not a fresh read (a made-up key id must not cost a read).
    expect(holder.reload()).toBe(first)
    expect(holder.reload()).toBe(first)

    const added = addMasterKey(file)
    const after = holder.reload()
    expect(after).not.toBe(first)
    expect(after.master.active.id).toBe(added)
    expect(holder.current()).toBe(after)
    expect(holder.reload()).toBe(after)
  })
})
