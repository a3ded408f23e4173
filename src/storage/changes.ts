import type { Db } from './db.js'

/**
 * Who a change was about, told to the in-memory copies of shopper data (the identity, consent, event
 * and feedback reads the recommendation path repeats on every request), so none of them ever outlives
 * the rows it copies.
 *
 * - Writes through this storage: every repository write that touches an owner's rows is made with
 *   `write` (`owner-writes.ts`), which calls `owners(...)` once its statements ran, or `everything()`
 *   for a sweep by date (retention), and `notify(...)` to tell the other processes. No repository calls
 *   them by hand.
 * - Writes by other connections on SQLite (a `candor` command next to the server, worker processes):
 *   `PRAGMA data_version` moves when another connection commits, and `checkExternal` drops every copy
 *   when it moved. It is asked when a request arrives (the HTTP layer calls `sync()`), so a request sent
 *   after another process committed sees the commit; otherwise before reading a copy, at most once per
 *   turn of the event loop (news of another process's commit can only arrive with I/O, in a later turn)
 *   unless this storage wrote since the last check. The count of writes is the `Storage` instance's own;
 *   a test or bench that plays a second process in this one opens it with `storage.another()`, which
 *   shares the count, so a commit there is seen here at once (no I/O separates them).
 *   When it moved, a counter that triggers bump on every write to a watched table (every table but the
 *   answer log and the migration bookkeeping, see `watched-writes.ts`) tells whether anything a copy
 *   could hold was written: worker processes of one server each log their answers without emptying each
 *   other's copies.
 * - Writes by other processes on PostgreSQL (`pg-changes.ts`): every owner write also runs
 *   `pg_notify` with the owners it touched, in its own transaction, so PostgreSQL delivers the news on
 *   commit and never after a rollback; each storage listens on a connection of its own and drops the
 *   owners it hears of (its own writes too, again once they committed). News arrives asynchronously, so
 *   `sync()` (on every request) makes one round trip on the listening connection: PostgreSQL sends a
 *   listener its pending notifications before the reply, so once it returns, every commit that finished
 *   before the request arrived has been applied. Requests waiting at the same time share one round
 *   trip. While the storage is not listening (starting, or the connection was lost until it reconnects)
 *   nothing is kept (`cacheable` is false) and every copy is dropped when the connection goes.
 *
 * Why that is exact: a read in flight when a change is announced is not kept (see `OwnerCache`). On
 * SQLite a process has one connection and every read waits for an open transaction to end, so a read
 * that starts after the announcement sees the rows as committed (or, after a rollback, as they were).
 * On PostgreSQL a read on another pooled connection does not wait: the owners a transaction touched are
 * announced again when its connection goes back to the pool (committed or rolled back), which drops a
 * copy read in between.
 */
export interface ChangeFeed {
  /** Whether copies may be kept now (on PostgreSQL: while this storage listens for other processes). */
  readonly cacheable: boolean
  /** Rows of these owners (subject ids, session keys) were written by this process. */
  owners(...owners: readonly string[]): void
  /** Rows of owners not named were written (a retention run): every copy goes. */
  everything(): void
  /**
   * Tells the other processes, through `db` (in the caller's transaction), whose rows were written
   * (`owners` undefined: everybody's). Undefined when there is nothing to wait for (SQLite: the other
   * processes see `data_version` move).
   */
  notify(db: Db, owners: readonly string[] | undefined): Promise<void> | undefined
  /**
   * Drops every copy when another connection committed since the last check (SQLite). `force`: ask the
   * database even if this turn of the event loop already did.
   */
  checkExternal(force?: boolean): void
  /**
   * The check a request makes when it arrives: once settled, every commit another process finished
   * before the call has dropped the copies it touched. Undefined when that is already so (SQLite: a
   * forced `checkExternal`; PostgreSQL while not listening: nothing is kept).
   */
  sync(): Promise<void> | undefined
  /** `owner` undefined: everything changed. */
  subscribe(listener: (owner: string | undefined) => void): void
}

/** The announcing half every feed shares: who listens, and telling them. */
export function createAnnouncer(): Pick<ChangeFeed, 'owners' | 'everything' | 'subscribe'> {
  const listeners: ((owner: string | undefined) => void)[] = []
  return {
    owners(...owners) {
      for (const owner of owners) for (const listener of listeners) listener(owner)
    },
    everything() {
      for (const listener of listeners) listener(undefined)
    },
    subscribe(listener) {
      listeners.push(listener)
    },
  }
}

/**
 * SQLite's feed. `dataVersion`: `PRAGMA data_version` on the connection the feed belongs to (undefined
 * once closed). `localWrites`: how many writing statements the storage (with the ones opened by its
 * `another()`) has run so far: a count the `Storage` instance holds.
 */
export function createChangeFeed(
  dataVersion: () => number | undefined,
  localWrites: () => number = () => 0,
  watchedWrites: () => number | undefined = () => undefined,
): ChangeFeed {
  const announcer = createAnnouncer()
  let seen = dataVersion()
  let seenWatched = watchedWrites()
  let checkedThisTurn = false
  let writesAtCheck = localWrites()
  const nextTurn = () => {
    checkedThisTurn = false
  }
  const checkExternal = (force = false) => {
    const writes = localWrites()
    if (checkedThisTurn && !force && writes === writesAtCheck) return
    writesAtCheck = writes
    if (!checkedThisTurn) {
      checkedThisTurn = true
      setImmediate(nextTurn).unref()
    }
    const version = dataVersion()
    if (version === seen) return
    seen = version
    // Only unwatched tables were written (another process's answer log): every copy still holds.
    const watched = watchedWrites()
    if (watched !== undefined && watched === seenWatched) return
    seenWatched = watched
    announcer.everything()
  }
  return {
    cacheable: true,
    ...announcer,
    notify: () => undefined,
    checkExternal,
    sync() {
      checkExternal(true)
      return undefined
    },
  }
}

/**
 * A bounded map of copies of owners' rows, kept in step with a `ChangeFeed`: a copy goes when the feed
 * names its owner (or everything), and a copy whose read overlapped such a change is used for that
 * request only, never kept. When full, the copy used least recently goes first (near enough: see `hit`).
 *
 * Copies are keyed by their owner, unless `ownerOf` says whose a copy is (a lookup keyed by something
 * else, such as a pseudonym hash); a read then overlaps any change, its owner being unknown until read.
 */
export interface OwnerCache<T> {
  /** The copy under `key`, or `load()`'s answer (kept when nothing changed for its owner meanwhile). */
  get(key: string, load: () => Promise<T>): Promise<T>
  /**
   * `get` for many keys, reading the missing ones with one `loadMany` (which answers what it found; a key
   * it leaves out has no value and nothing is kept for it).
   */
  getMany(
    keys: readonly string[],
    loadMany: (missing: string[]) => Promise<Map<string, T>>,
  ): Promise<Map<string, T>>
}

export function createOwnerCache<T>(
  changes: ChangeFeed,
  options: { max?: number; ownerOf?: (value: T, key: string) => string } = {},
): OwnerCache<T> {
  const max = options.max ?? 10_000
  const ownerOf = options.ownerOf
  const copies = new Map<string, { value: T; owner: string; used: number }>()
  /** Counts copies kept and moved; a copy's `used` is the count when it last was. */
  let clock = 0
  /** Keys per owner, when they differ. */
  const keysOf = new Map<string, Set<string>>()
  /** Reads in flight, by owner (`ownerOf` given: all under ''). A change marks them stale. */
  const reading = new Map<string, Set<{ stale: boolean }>>()

  function drop(key: string) {
    const copy = copies.get(key)
    if (copy === undefined) return
    copies.delete(key)
    if (ownerOf === undefined) return
    const keys = keysOf.get(copy.owner)
    keys?.delete(key)
    if (keys?.size === 0) keysOf.delete(copy.owner)
  }

  changes.subscribe((owner) => {
    if (owner === undefined) {
      copies.clear()
      keysOf.clear()
      for (const reads of reading.values()) for (const read of reads) read.stale = true
      return
    }
    if (ownerOf === undefined) drop(owner)
    else for (const key of [...(keysOf.get(owner) ?? [])]) drop(key)
    for (const read of reading.get(ownerOf === undefined ? owner : '') ?? []) read.stale = true
  })

  /**
   * The copy under `key`, moved to the recent end unless it already is in the recent half (moving a
   * Map entry costs a delete and an insert; a copy used now and then would otherwise pay it on every
   * request, for an order that changes nothing until the map is full).
   */
  function hit(key: string): { value: T } | undefined {
    const copy = copies.get(key)
    if (copy === undefined) return undefined
    if (clock - copy.used >= max / 2) {
      copies.delete(key)
      copies.set(key, copy)
      copy.used = ++clock
    }
    return copy
  }

  /** Reads `keys` with `load`, keeping what no change overlapped. */
  async function readThrough<R>(
    keys: readonly string[],
    load: () => Promise<R>,
    valueOf: (result: R, key: string) => { value: T } | undefined,
  ) {
    const tokens = keys.map((key) => {
      const read = { stale: false }
      const slot = ownerOf === undefined ? key : ''
      let reads = reading.get(slot)
      if (reads === undefined) reading.set(slot, (reads = new Set()))
      reads.add(read)
      return { key, slot, read }
    })
    try {
      const result = await load()
      for (const { key, read } of tokens) {
        const found = valueOf(result, key)
        if (found === undefined || read.stale) continue
        const owner = ownerOf === undefined ? key : ownerOf(found.value, key)
        copies.delete(key)
        copies.set(key, { value: found.value, owner, used: ++clock })
        if (ownerOf !== undefined) {
          let keys = keysOf.get(owner)
          if (keys === undefined) keysOf.set(owner, (keys = new Set()))
          keys.add(key)
        }
        if (copies.size > max) drop(copies.keys().next().value!)
      }
      return result
    } finally {
      for (const { slot, read } of tokens) {
        const reads = reading.get(slot)!
        reads.delete(read)
        if (reads.size === 0) reading.delete(slot)
      }
    }
  }

  return {
    async get(key, load) {
      changes.checkExternal()
      const copy = hit(key)
      if (copy !== undefined) return copy.value
      if (!changes.cacheable) return load()
      return readThrough([key], load, (value) => ({ value }))
    },

    async getMany(keys, loadMany) {
      changes.checkExternal()
      const out = new Map<string, T>()
      const missing: string[] = []
      for (const key of new Set(keys)) {
        const copy = hit(key)
        if (copy === undefined) missing.push(key)
        else out.set(key, copy.value)
      }
      if (missing.length === 0) return out
      const loaded = changes.cacheable
        ? await readThrough(
            missing,
            () => loadMany(missing),
            (found, key) => (found.has(key) ? { value: found.get(key)! } : undefined),
          )
        : await loadMany(missing)
      for (const [key, value] of loaded) out.set(key, value)
      return out
    },
  }
}
