import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3-multiple-ciphers'
import { sql } from 'kysely'
import { afterAll, describe, expect, it } from 'vitest'
import { createStorage } from '../src/storage/db.js'

/**
 * After an erasure, `scrub` truncates SQLite's write-ahead log so no page image of the erased rows
 * survives in it. When another connection keeps reading an older snapshot past the busy timeout, SQLite
 * cannot truncate and says so only in the pragma's result: scrub must fail then (the rights job runs it
 * again later), and succeed once the reader is gone.
 */
describe('scrub on SQLite', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'candor-scrub-'))
  const file = path.join(dir, 'candor.db')
  const storage = createStorage({ kind: 'sqlite', file })
  afterAll(async () => {
    await storage.close()
    fs.rmSync(dir, { recursive: true, force: true })
  })

  it('fails while a reader holds an old snapshot, then truncates the log', async () => {
    await sql`create table probe (id integer primary key, body text)`.execute(storage.db)
    await sql`insert into probe (body) values ('first')`.execute(storage.db)

    const reader = new Database(file)
    reader.exec('begin')
    reader.prepare('select count(*) from probe').get()
    await sql`insert into probe (body) values ('second')`.execute(storage.db)
    await expect(storage.scrub()).rejects.toThrow(/could not be truncated/)
    expect(fs.statSync(`${file}-wal`).size).toBeGreaterThan(0)

    reader.exec('commit')
    reader.close()
    await storage.scrub()
    expect(fs.statSync(`${file}-wal`).size).toBe(0)
  }, 20_000)
})
