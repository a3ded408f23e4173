import { describe, expect, it } from 'vitest'
import { createChangeFeed, createOwnerCache } from './changes.js'

/** A feed whose "other connection" commits are simulated by bumping `version`. */
function feed() {
  const external = { version: 1 }
  return { external, changes: createChangeFeed(() => external.version) }
}

describe('owner cache', () => {
  it('keeps a copy until its owner changes', async () => {
    const { changes } = feed()
    const cache = createOwnerCache<number>(changes)
    let reads = 0
    const load = async () => ++reads
    expect(await cache.get('sub_a', load)).toBe(1)
    expect(await cache.get('sub_a', load)).toBe(1)
    expect(await cache.get('sub_b', load)).toBe(2)
    changes.owners('sub_a')
    expect(await cache.get('sub_a', load)).toBe(3)
    expect(await cache.get('sub_b', load)).toBe(2)
    changes.everything()
    expect(await cache.get('sub_b', load)).toBe(4)
  })

  it('does not keep a copy whose read overlapped a change for its owner', async () => {
    const { changes } = feed()
    const cache = createOwnerCache<string>(changes)
    let release!: () => void
    const slow = cache.get(
      'sub_a',
      () => new Promise<string>((resolve) => (release = () => resolve('old rows'))),
    )
    changes.owners('sub_a')
    release()
    // The caller that started the read gets its answer; the next one reads again.
    expect(await slow).toBe('old rows')
    expect(await cache.get('sub_a', async () => 'new rows')).toBe('new rows')
    expect(await cache.get('sub_a', async () => 'never read')).toBe('new rows')
  })

  it('finds copies keyed by something else through their owner, and keeps nothing for what was not found', async () => {
    const { changes } = feed()
    const cache = createOwnerCache<string>(changes, { ownerOf: (id) => id })
    expect(await cache.get('hash-1', async () => 'sub_a')).toBe('sub_a')
    expect(await cache.get('hash-1', async () => 'sub_b')).toBe('sub_a')
    expect(await cache.getMany(['hash-2'], async () => new Map())).toEqual(new Map())
    expect(await cache.getMany(['hash-2'], async () => new Map([['hash-2', 'sub_c']]))).toEqual(
      new Map([['hash-2', 'sub_c']]),
    )
    changes.owners('sub_a')
    expect(await cache.get('hash-1', async () => 'sub_a2')).toBe('sub_a2')
    expect(await cache.get('hash-2', async () => 'unused')).toBe('sub_c')
    // Whose a copy is cannot be known before it is read: any change during the read discards it.
    let release!: () => void
    const slow = cache.get(
      'hash-3',
      () => new Promise<string>((resolve) => (release = () => resolve('sub_d'))),
    )
    changes.owners('sub_zzz')
    release()
    expect(await slow).toBe('sub_d')
    expect(await cache.get('hash-3', async () => 'sub_e')).toBe('sub_e')
  })

  it('reads only the missing copies of many, in one read, and keeps what no change overlapped', async () => {
    const { changes } = feed()
    const cache = createOwnerCache<string>(changes)
    const asked: string[][] = []
    const loadMany = async (missing: string[]) => {
      asked.push(missing)
      return new Map(
        missing.filter((key) => key !== 'sub_none').map((key) => [key, `${key}@${asked.length}`]),
      )
    }
    expect(await cache.get('sub_a', async () => 'sub_a@0')).toBe('sub_a@0')
    const first = await cache.getMany(['sub_a', 'sub_b', 'sub_none', 'sub_b'], loadMany)
    expect(Object.fromEntries(first)).toEqual({ sub_a: 'sub_a@0', sub_b: 'sub_b@1' })
    expect(asked).toEqual([['sub_b', 'sub_none']])
    // Found ones are kept, what was not found is asked again.
    await cache.getMany(['sub_a', 'sub_b', 'sub_none'], loadMany)
    expect(asked.at(-1)).toEqual(['sub_none'])
    // A change for one owner during the read: that one is not kept, the others are.
    let release!: () => void
    const slow = cache.getMany(['sub_c', 'sub_d'], async (missing) => {
      await new Promise<void>((resolve) => (release = resolve))
      return new Map(missing.map((key) => [key, `${key}@old`]))
    })
    changes.owners('sub_c')
    release()
    expect(Object.fromEntries(await slow)).toEqual({ sub_c: 'sub_c@old', sub_d: 'sub_d@old' })
    expect(await cache.get('sub_c', async () => 'sub_c@new')).toBe('sub_c@new')
    expect(await cache.get('sub_d', async () => 'unused')).toBe('sub_d@old')
  })

  it('drops the least recently used copy when full', async () => {
    const { changes } = feed()
    const cache = createOwnerCache<string>(changes, { max: 2 })
    await cache.get('a', async () => 'A')
    await cache.get('b', async () => 'B')
    await cache.get('a', async () => 'unused')
    await cache.get('c', async () => 'C')
    expect(await cache.get('a', async () => 'A2')).toBe('A')
    expect(await cache.get('b', async () => 'B2')).toBe('B2')
  })

  it('drops everything when another connection committed: at once when forced or after a local write, else next turn', async () => {
    const external = { version: 1, writes: 0 }
    const changes = createChangeFeed(
      () => external.version,
      () => external.writes,
    )
    const cache = createOwnerCache<number>(changes)
    let reads = 0
    const load = async () => ++reads
    const nextTurn = () => new Promise((resolve) => setImmediate(resolve))
    expect(await cache.get('sub_a', load)).toBe(1)
    // Another process commits: this turn already asked, so the copy still serves ...
    external.version = 2
    expect(await cache.get('sub_a', load)).toBe(1)
    // ... until a request arrives (the HTTP layer forces a check) ...
    changes.checkExternal(true)
    expect(await cache.get('sub_a', load)).toBe(2)
    // ... or the next turn of the event loop.
    external.version = 3
    await nextTurn()
    expect(await cache.get('sub_a', load)).toBe(3)
    // This storage (or one opened by its `another()`) wrote and committed: asked again at once.
    external.version = 4
    external.writes += 1
    expect(await cache.get('sub_a', load)).toBe(4)
    expect(await cache.get('sub_a', load)).toBe(4)
  })

  it('keeps nothing while the feed cannot watch other processes (PostgreSQL not listening)', async () => {
    const { changes } = feed()
    const watching = { now: false }
    const cache = createOwnerCache<number>(
      Object.defineProperty({ ...changes }, 'cacheable', { get: () => watching.now }),
    )
    let reads = 0
    expect(await cache.get('sub_a', async () => ++reads)).toBe(1)
    expect(await cache.get('sub_a', async () => ++reads)).toBe(2)
    watching.now = true
    expect(await cache.get('sub_a', async () => ++reads)).toBe(3)
    expect(await cache.get('sub_a', async () => ++reads)).toBe(3)
  })
})
