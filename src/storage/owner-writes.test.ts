import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { sql } from 'kysely'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createOwnerCache } from './changes.js'
import { type Db, type Storage, createStorage } from './db.js'
import { EVERY_OWNER, isOwnerWrite, ownerWrites } from './owner-writes.js'

describe('owner writes on SQLite', () => {
  let dir: string
  let file: string
  let storage: Storage
  const opened: Storage[] = []
  const count = async (db: Db) =>
    Number((await sql<{ n: number }>`select count(*) as n from pairs`.execute(db)).rows[0]!.n)

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'candor-owner-writes-'))
    file = path.join(dir, 'candor.sqlite')
    storage = createStorage({ kind: 'sqlite', file })
    await sql`create table pairs (owner varchar(20) not null, v integer not null)`.execute(
      storage.db,
    )
  })
  afterEach(async () => {
    for (const other of opened.splice(0)) await other.close()
    await storage.close()
    fs.rmSync(dir, { recursive: true, force: true })
  })

  it('announces the owners a write touched once its statements ran, every owner for a sweep, nothing when it throws', async () => {
    const heard: string[] = []
    storage.changes.subscribe((owner) => heard.push(owner ?? '(every owner)'))
    const write = ownerWrites(storage.changes)
    const seenBefore: string[][] = []
    const insert = write(
      async (db: Db, owner: string, v: number) => {
        seenBefore.push([...heard])
        await sql`insert into pairs (owner, v) values (${owner}, ${v})`.execute(db)
        return v
      },
      (v, owner) => (v < 0 ? [] : [owner]),
    )
    const sweep = write(
      async (db: Db) =>
        Number((await sql`delete from pairs where v > 1`.execute(db)).numAffectedRows ?? 0),
      (deleted) => (deleted > 0 ? EVERY_OWNER : []),
    )
    const failing = write(
      async (db: Db, owner: string) => {
        await sql`insert into pairs (owner, v) values (${owner}, 9)`.execute(db)
        throw new Error('refused')
      },
      (_, owner) => [owner],
    )
    expect(isOwnerWrite(insert)).toBe(true)
    expect(isOwnerWrite(count)).toBe(false)

    expect(await insert(storage.db, 'sub_a', 1)).toBe(1)
    await insert(storage.db, 'sub_b', 2)
    await insert(storage.db, 'sub_c', -1)
    // Each heard only after its statements ran (nothing was heard when the second one started but a).
    expect(seenBefore).toEqual([[], ['sub_a'], ['sub_a', 'sub_b']])
    expect(heard).toEqual(['sub_a', 'sub_b'])
    expect(await sweep(storage.db)).toBe(1)
    expect(await sweep(storage.db)).toBe(0)
    expect(heard).toEqual(['sub_a', 'sub_b', '(every owner)'])
    // A write that throws announces nothing (its transaction rolls back: the rows stay as copied).
    await expect(storage.db.transaction().execute((trx) => failing(trx, 'sub_d'))).rejects.toThrow(
      'refused',
    )
    expect(heard).toEqual(['sub_a', 'sub_b', '(every owner)'])
    expect(await count(storage.db)).toBe(2)
  })

  it('counts writes per storage: another() shares the count (a commit there is seen at once), a storage opened apart is another process', async () => {
    const cache = createOwnerCache<number>(storage.changes)
    const read = () => count(storage.db)
    expect(await cache.get('pairs', read)).toBe(0)
    const sibling = storage.another()
    opened.push(sibling)
    await sql`insert into pairs (owner, v) values ('sub_a', 1)`.execute(sibling.db)
    // The same turn of the event loop: the shared count says a write happened, so the database is asked.
    expect(await cache.get('pairs', read)).toBe(1)
    const apart = createStorage({ kind: 'sqlite', file })
    opened.push(apart)
    await sql`insert into pairs (owner, v) values ('sub_b', 2)`.execute(apart.db)
    // Like another process's commit: this turn already asked, so the copy serves until the next turn.
    expect(await cache.get('pairs', read)).toBe(1)
    await new Promise((resolve) => setImmediate(resolve))
    expect(await cache.get('pairs', read)).toBe(2)
  })
})
