import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3-multiple-ciphers'
import { sql } from 'kysely'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type Storage, commitCounter, createStorage, eachRow } from './db.js'

describe('eachRow on SQLite', () => {
  let dir: string
  let storage: Storage
  const insert = 'insert into pairs (k, v) values (?, ?) on conflict (k) do nothing'
  const keys = async () =>
    (await sql<{ k: string }>`select k from pairs order by k`.execute(storage.db)).rows.map(
      (r) => r.k,
    )

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'candor-db-'))
    storage = createStorage({ kind: 'sqlite', file: path.join(dir, 'candor.sqlite') })
    await sql`create table pairs (k varchar(8) primary key, v integer not null)`.execute(storage.db)
  })
  afterEach(async () => {
    await storage.close()
    fs.rmSync(dir, { recursive: true, force: true })
  })

  it('runs a one-row statement once per row and says which rows it changed', async () => {
    const { rows } = await storage.db.transaction().execute((trx) =>
      trx.executeQuery(
        eachRow(insert, [
          ['a', 1],
          ['b', 2],
          ['a', 3],
        ]),
      ),
    )
    expect(rows).toEqual([{ changes: 1 }, { changes: 1 }, { changes: 0 }])
    expect(await keys()).toEqual(['a', 'b'])
  })

  it('writes inside the transaction it runs in: a rollback takes every row back', async () => {
    const failed = storage.db.transaction().execute(async (trx) => {
      await trx.executeQuery(eachRow(insert, [['c', 1]]))
      await trx.executeQuery(eachRow(insert, [['d', null]]))
    })
    await expect(failed).rejects.toThrow(/NOT NULL/)
    expect(await keys()).toEqual([])
  })
})

describe("SQLite's commit counter", () => {
  it('is read from the WAL index and moves with every commit, by this connection or another', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'candor-db-'))
    const file = path.join(dir, 'candor.sqlite')
    const one = createStorage({ kind: 'sqlite', file })
    const other = createStorage({ kind: 'sqlite', file })
    const counter = commitCounter(file)
    try {
      await sql`create table pairs (k varchar(8) primary key, v integer not null)`.execute(one.db)
      const first = counter.read()
      // A number, not undefined: the header is the format this reads (else every check asks SQLite).
      expect(typeof first).toBe('number')
      await sql`insert into pairs (k, v) values ('a', 1)`.execute(other.db)
      expect(counter.read()).toBe(first! + 1)
      await sql`insert into pairs (k, v) values ('b', 2)`.execute(one.db)
      expect(counter.read()).toBe(first! + 2)
      // Reading changes nothing.
      await sql`select * from pairs`.execute(other.db)
      expect(counter.read()).toBe(first! + 2)
    } finally {
      counter.close()
      await one.close()
      await other.close()
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('SQLite transactions', () => {
  it('take the write lock when they begin, so another process waits instead of failing the upgrade', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'candor-db-'))
    const file = path.join(dir, 'candor.sqlite')
    const storage = createStorage({ kind: 'sqlite', file })
    // Another process's connection, that gives up on a lock after 50 ms.
    const other = new Database(file, { timeout: 50 })
    try {
      await sql`create table pairs (k varchar(8) primary key, v integer not null)`.execute(
        storage.db,
      )
      await storage.db.transaction().execute(async (trx) => {
        await sql`select count(*) from pairs`.execute(trx)
        // Deferred, this transaction would hold only a read snapshot here: the other write would
        // commit, and this transaction's own write below would then fail at once (SQLITE_BUSY).
        expect(() => other.prepare(`insert into pairs (k, v) values ('x', 1)`).run()).toThrow(
          /locked|busy/i,
        )
        await sql`insert into pairs (k, v) values ('a', 1)`.execute(trx)
      })
      other.prepare(`insert into pairs (k, v) values ('x', 1)`).run()
      const rows = await sql<{ k: string }>`select k from pairs order by k`.execute(storage.db)
      expect(rows.rows.map((r) => r.k)).toEqual(['a', 'x'])
    } finally {
      other.close()
      await storage.close()
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})
