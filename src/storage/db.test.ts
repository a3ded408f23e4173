import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { sql } from 'kysely'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type Storage, createStorage, eachRow } from './db.js'

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
