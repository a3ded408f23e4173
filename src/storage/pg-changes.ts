import { sql } from 'kysely'
import pg from 'pg'
import { type ChangeFeed, createAnnouncer } from './changes.js'
import type { Db } from './db.js'

/**
 * The channel of one schema's news: every Candor process on the same database and schema (a test's own
 * schema too) listens on it. Hashed, because a channel name is an identifier of at most 63 bytes and a
 * schema's name may be as long. Computed by the server in the statement that notifies, so a write and
 * the listener cannot disagree.
 */
const CHANNEL_SQL = `'candor_changes_' || left(md5(coalesce(current_schema(), '')), 20)`

/** The payload that means "every owner" (a sweep by date). */
const EVERYONE = '*'

/** Below PostgreSQL's limit on a payload (8000 bytes), with room for the JSON brackets. */
const MAX_PAYLOAD_BYTES = 7900

/** How long a round trip on the listening connection may take before the connection counts as lost. */
const SYNC_TIMEOUT_MS = 2000

/** The wait before listening again after the connection was lost: doubled each failure, up to a cap. */
const FIRST_RETRY_MS = 100
const MAX_RETRY_MS = 5000

/**
 * The payloads that name `owners`: JSON arrays of owner ids (subject ids, session keys, lookup hashes:
 * pseudonyms, as the rows themselves hold), each under PostgreSQL's size limit.
 */
export function payloadsOf(owners: readonly string[] | undefined): string[] {
  if (owners === undefined) return [EVERYONE]
  const payloads: string[] = []
  let batch: string[] = []
  let bytes = 2
  for (const owner of new Set(owners)) {
    const size = Buffer.byteLength(JSON.stringify(owner)) + 1
    if (batch.length > 0 && bytes + size > MAX_PAYLOAD_BYTES) {
      payloads.push(JSON.stringify(batch))
      batch = []
      bytes = 2
    }
    batch.push(owner)
    bytes += size
  }
  if (batch.length > 0) payloads.push(JSON.stringify(batch))
  return payloads
}

/** The owners a payload names; undefined (every owner) for `*` or anything this cannot read. */
function ownersOf(payload: string | undefined): string[] | undefined {
  if (payload === undefined || payload === EVERYONE) return undefined
  try {
    const owners: unknown = JSON.parse(payload)
    return Array.isArray(owners) && owners.every((o) => typeof o === 'string') ? owners : undefined
  } catch {
    return undefined
  }
}

export interface PostgresChangeFeed extends ChangeFeed {
  /** Stops listening (and retrying). */
  close(): Promise<void>
}

/** Tells one feed's copies, and only them, whose rows changed (undefined: everybody's). */
export type LocalAnnounce = (owners: readonly string[] | undefined) => void

/**
 * PostgreSQL's feed (see `ChangeFeed`): listens on a connection of its own to `url` (not one of the
 * pool's), and copies are kept only while it does. `pool` is the storage's pool: the owners a write
 * named inside a transaction are announced again when the transaction's connection goes back to it,
 * committed or rolled back, which drops a copy read meanwhile on another connection. `peers`: the feeds
 * of the storages opened with `another()` (this one joins them), which hear this process's writes at
 * once, as on SQLite; other storages hear them only through PostgreSQL.
 */
export function createPostgresChangeFeed(
  url: string,
  pool: pg.Pool,
  peers: Set<LocalAnnounce> = new Set(),
): PostgresChangeFeed {
  const announcer = createAnnouncer()
  const self: LocalAnnounce = (owners) => {
    if (owners === undefined) announcer.everything()
    else announcer.owners(...owners)
  }
  peers.add(self)
  let client: pg.Client | undefined
  let listening = false
  let closed = false
  let retryMs = FIRST_RETRY_MS
  let retry: NodeJS.Timeout | undefined
  /** Owners notified on a pooled connection, by its backend's process id, until it is released. */
  const unsettled = new Map<number, Set<string> | undefined>()

  /** This process's own writes: every peer hears of them. */
  function announce(owners: readonly string[] | undefined) {
    for (const peer of peers) peer(owners)
  }

  pool.on('release', (_error: Error | undefined, released: pg.PoolClient) => {
    const pid = (released as pg.PoolClient & { processID?: number }).processID
    if (pid === undefined || !unsettled.has(pid)) return
    const owners = unsettled.get(pid)
    unsettled.delete(pid)
    announce(owners === undefined ? undefined : [...owners])
  })

  /** The listening connection went (or never came): nothing is kept until it listens again. */
  function lose(lost: pg.Client) {
    if (client !== lost) return
    client = undefined
    const wasListening = listening
    listening = false
    if (wasListening) announcer.everything()
    lost.removeAllListeners('notification')
    lost.on('error', () => undefined)
    void lost.end().catch(() => undefined)
    if (closed) return
    retry = setTimeout(() => void listen(), retryMs)
    retry.unref()
    retryMs = Math.min(retryMs * 2, MAX_RETRY_MS)
  }

  async function listen() {
    retry = undefined
    if (closed) return
    const next = new pg.Client({ connectionString: url, keepAlive: true })
    client = next
    next.on('error', () => lose(next))
    next.on('end', () => lose(next))
    next.on('notification', (message) => {
      if (client === next) self(ownersOf(message.payload))
    })
    try {
      await next.connect()
      // Listening must not keep a process alive that has nothing else to do (a command that forgot to
      // close its storage exits as it did when only the pool's idle connections were open). `pg` has no
      // public way to say so: its connection's socket.
      ;(
        next as unknown as { connection?: { stream?: { unref?: () => void } } }
      ).connection?.stream?.unref?.()
      const { rows } = await next.query<{ channel: string }>(`select ${CHANNEL_SQL} as channel`)
      // The channel is made of [a-z0-9_] (see CHANNEL_SQL): safe to quote as an identifier.
      await next.query(`listen "${rows[0]!.channel}"`)
    } catch {
      lose(next)
      return
    }
    if (client !== next || closed) return
    listening = true
    retryMs = FIRST_RETRY_MS
  }

  /** One round trip on the listening connection; a failure or a timeout counts as a lost connection. */
  async function roundTrip(): Promise<void> {
    const on = client
    if (on === undefined || !listening) return
    let timer: NodeJS.Timeout | undefined
    try {
      await Promise.race([
        on.query('select 1'),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('timeout')), SYNC_TIMEOUT_MS)
        }),
      ])
    } catch {
      lose(on)
    } finally {
      clearTimeout(timer)
    }
  }

  /** The round trip in flight, and the one that waits for it, which every caller since shares. */
  let current: Promise<void> | undefined
  let queued: Promise<void> | undefined
  function start(): Promise<void> {
    const trip: Promise<void> = roundTrip().finally(() => {
      if (current === trip) current = undefined
    })
    current = trip
    return trip
  }

  void listen()

  return {
    get cacheable() {
      return listening
    },
    owners: (...owners) => announce(owners),
    everything: () => announce(undefined),
    subscribe: announcer.subscribe,
    async notify(on: Db, owners: readonly string[] | undefined) {
      const channel = sql.raw(CHANNEL_SQL)
      const calls = payloadsOf(owners).map((payload) => sql`pg_notify(${channel}, ${payload})`)
      const { rows } = await sql<{ pid: number }>`
        select pg_backend_pid() as pid, ${sql.join(calls)}`.execute(on)
      // Outside a transaction the rows were committed before the owners were announced here.
      if (!on.isTransaction) return
      // In one, the owners are announced again once its connection is released: committed or not.
      const pid = rows[0]!.pid
      const known = unsettled.has(pid) ? unsettled.get(pid) : new Set<string>()
      if (owners === undefined || known === undefined) unsettled.set(pid, undefined)
      else {
        for (const owner of owners) known.add(owner)
        unsettled.set(pid, known)
      }
    },
    checkExternal: () => undefined,
    sync() {
      if (!listening) return undefined
      // A round trip already in flight may have been sent before a commit this caller must see.
      if (current === undefined) return start()
      queued ??= current.then(() => {
        queued = undefined
        return listening ? start() : undefined
      })
      return queued
    },
    async close() {
      closed = true
      peers.delete(self)
      clearTimeout(retry)
      const last = client
      client = undefined
      listening = false
      if (last !== undefined) await last.end().catch(() => undefined)
    },
  }
}
