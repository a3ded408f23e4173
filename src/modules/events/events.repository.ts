import { CompiledQuery, sql } from 'kysely'
import type { ChangeFeed } from '../../storage/changes.js'
import { type Db, dialectOf, eachRow } from '../../storage/db.js'
import { EVERY_OWNER, type WriteOf, ownerWrites } from '../../storage/owner-writes.js'
import type { EventType } from '../charter/index.js'
import { SESSION_PREFIX } from '../session/index.js'
import type { StoredEvent, SubjectItemEvent } from './events.js'
import { dropExpiredMonths } from './events.partitions.js'
import { COLUMNS, type EventRow, decodePurposes, fromRow, rowValues } from './events.rows.js'

type EventTables = {
  events: EventRow
}

// 17 columns a row: 1000 rows stay under both engines' bound-parameter limits.
const INSERT_CHUNK = 1000
/** Compiled texts kept (one per statement, row count and dialect): more than the batch sizes in use. */
const COMPILED_MAX = 64

/** Checks that a compiled query binds its marker values in order: `at(k)` is the k-th parameter. */
function assertParameterOrder(query: CompiledQuery, count: number, at: (k: number) => unknown) {
  const { parameters } = query
  if (parameters.length !== count || parameters.some((p, k) => p !== at(k)))
    throw new Error(`compiled parameters are not in row order: ${query.sql.slice(0, 80)}`)
}

/** An event's key: its owner and its id (the primary key, and the order of the paged readers). */
export interface EventKey {
  owner: string
  eventId: string
}

/** What a recommendation reads of an event that names an item. */
export interface ItemEvent {
  type: EventType
  item: string
  occurredAt?: string
  receivedAt: string
  purposes: string[]
  expiresAt: string
}

const t = (db: Db) => db.withTables<EventTables>()

/** The first key of the advisory locks `insertMany` takes per owner on PostgreSQL ("EVTS"). */
const OWNER_LOCK_CLASS = 0x45565453

/** Whose event it is: the subject, or the anonymous visit. */
function ownerOf(event: StoredEvent): string {
  return event.subjectId ?? event.sessionKey ?? ''
}

/**
 * Subject events stored for `purpose`, unexpired, that happened after `since`, with a key after
 * `after`. The cursor is one row-value comparison, `(owner, event_id) > (?, ?)`, which both engines
 * (SQLite since 3.15) turn into a range on the primary key: each page starts where the last one
 * ended. Spelled as `owner > ? OR (owner = ? AND event_id > ?)`, neither engine does, and every
 * page scanned the index again from its start (the README has the figures).
 */
function forPurposeAfter(
  db: Db,
  purpose: string,
  now: string,
  since: string,
  after: EventKey | undefined,
) {
  const query = t(db)
    .selectFrom('events')
    .where('purposes', 'like', `%,${purpose},%`)
    .where('owner', 'not like', `${SESSION_PREFIX}%`)
    .where('expires_at', '>', now)
    .where((eb) => eb(eb.fn.coalesce('occurred_at', 'received_at'), '>', since))
  return after === undefined
    ? query
    : query.where((eb) =>
        eb(eb.refTuple('owner', 'event_id'), '>', eb.tuple(after.owner, after.eventId)),
      )
}

/** The ingest statements (duplicate lookup, batch insert), their texts compiled once per shape. */
function createStatements() {
  // The ingest statements have hundreds of rows: building and compiling them through Kysely costs more
  // than running them, and a batch's shape (statement, row count) repeats. The text is compiled once
  // per shape (with marker values, checked to come back in row order) and run with fresh parameters.
  const compiled = new Map<string, string>()
  function compiledText(db: Db, shape: string, compile: () => CompiledQuery): string {
    const key = `${dialectOf(db)}:${shape}`
    let text = compiled.get(key)
    if (text === undefined) {
      text = compile().sql
      compiled.set(key, text)
      if (compiled.size > COMPILED_MAX) compiled.delete(compiled.keys().next().value!)
    }
    return text
  }

  function existingText(db: Db, pairs: number): string {
    return compiledText(db, `existing:${pairs}`, () => {
      const query = t(db)
        .selectFrom('events')
        .select(['owner', 'event_id'])
        .where((eb) =>
          eb(
            eb.refTuple('owner', 'event_id'),
            'in',
            Array.from({ length: pairs }, (_, i) => eb.tuple(String(2 * i), String(2 * i + 1))),
          ),
        )
        .compile()
      assertParameterOrder(query, 2 * pairs, String)
      return query
    })
  }

  function insertText(db: Db, rows: number, returning: boolean): string {
    return compiledText(db, `insert:${rows}:${returning}`, () => {
      const markers = Array.from(
        { length: rows },
        (_, i) =>
          Object.fromEntries(
            COLUMNS.map((column, j) => [column, String(i * COLUMNS.length + j)]),
          ) as unknown as EventRow,
      )
      const insert = t(db)
        .insertInto('events')
        .values(markers)
        // No conflict target: on PostgreSQL the key is (owner, event_id, expiry_bucket) (0022).
        .onConflict((oc) => oc.doNothing())
      const query = returning ? insert.returning(['owner', 'event_id']).compile() : insert.compile()
      assertParameterOrder(query, rows * COLUMNS.length, String)
      return query
    })
  }

  /** Which of these `(owner, event_id)` pairs are already stored, as `owner\u0000id` keys. */
  async function findExisting(
    db: Db,
    pairs: readonly { owner: string; eventId: string }[],
  ): Promise<Set<string>> {
    const found = new Set<string>()
    if (pairs.length > 0 && dialectOf(db) === 'postgres') {
      // The pairs as two arrays, each looked up by its own probe of the key (LATERAL ... LIMIT 1: a
      // join may be planned as a hash join reading every partition whole). A row-value IN list is
      // planned as one index scan per pair and partition (migrations 0021, 0022). For 500 pairs over
      // 300 k events (docs/scale.md): 12 ms plain and 138 ms over 17 partitions with the IN list,
      // 6.5 and 37 ms this way.
      const { rows } = await sql<{ owner: string; event_id: string }>`
        select k.owner, k.event_id
        from unnest(${pairs.map((p) => p.owner)}::text[], ${pairs.map((p) => p.eventId)}::text[])
          as k(owner, event_id)
        cross join lateral (select 1 from events e
          where e.owner = k.owner and e.event_id = k.event_id limit 1) as found`.execute(db)
      for (const r of rows) found.add(`${r.owner}\u0000${r.event_id}`)
      return found
    }
    // A row-value IN: one index probe per pair (an IN per column would probe every combination).
    for (let start = 0; start < pairs.length; start += INSERT_CHUNK) {
      const end = Math.min(pairs.length, start + INSERT_CHUNK)
      const parameters: string[] = []
      for (let i = start; i < end; i++) parameters.push(pairs[i]!.owner, pairs[i]!.eventId)
      const { rows } = await db.executeQuery<{ owner: string; event_id: string }>(
        CompiledQuery.raw(existingText(db, end - start), parameters),
      )
      for (const r of rows) found.add(`${r.owner}\u0000${r.event_id}`)
    }
    return found
  }

  return { insertText, findExisting }
}
type Statements = ReturnType<typeof createStatements>

/** Reads: nothing here writes, so nothing is announced. */
const reads = {
  /** An owner's unexpired events, oldest received first. */
  async listByOwner(
    db: Db,
    owner: string,
    now: string,
    options: { limit?: number } = {},
  ): Promise<readonly StoredEvent[]> {
    let query = t(db)
      .selectFrom('events')
      .selectAll()
      .where('owner', '=', owner)
      .where('expires_at', '>', now)
      .orderBy('received_at')
      .orderBy('event_id')
    if (options.limit !== undefined) query = query.limit(options.limit)
    return (await query.execute()).map(fromRow)
  },

  /**
   * `listByOwner` narrowed to what recommendations read: events that name an item, in the same
   * order, with only their type, item, times and purposes (about a third of the cost on long
   * histories: most of it is building the row objects), and to one purpose's events still within its
   * retention (`usableSince`): only the rows scoring for that purpose reads leave the database.
   */
  async listItemEventsByOwner(
    db: Db,
    owner: string,
    now: string,
    usable: { purpose: string; since: string },
  ): Promise<readonly ItemEvent[]> {
    const rows = await t(db)
      .selectFrom('events')
      .select(['type', 'item', 'occurred_at', 'received_at', 'purposes', 'expires_at'])
      .where('owner', '=', owner)
      .where('expires_at', '>', now)
      .where('item', 'is not', null)
      .where('purposes', 'like', `%,${usable.purpose},%`)
      .where((eb) => eb(eb.fn.coalesce('occurred_at', 'received_at'), '>', usable.since))
      .orderBy('received_at')
      .orderBy('event_id')
      .execute()
    return rows.map((row) => ({
      type: row.type as EventType,
      item: row.item!,
      ...(row.occurred_at === null ? {} : { occurredAt: row.occurred_at }),
      receivedAt: row.received_at,
      purposes: decodePurposes(row.purposes),
      expiresAt: row.expires_at,
    }))
  },

  /**
   * Unexpired views, carts and purchases received since `since` that cite a recommendation answer:
   * the answer, the type and the item only (whose they are is not read). Found through the index on
   * `recomm_id` (migration 0010), which holds only the events that cite one.
   */
  async listCitations(
    db: Db,
    since: string,
    now: string,
  ): Promise<{ recommId: string; type: 'view' | 'cart' | 'purchase'; item: string }[]> {
    const rows = await t(db)
      .selectFrom('events')
      .select(['recomm_id', 'type', 'item'])
      .where('recomm_id', 'is not', null)
      .where('type', 'in', ['view', 'cart', 'purchase'])
      .where('item', 'is not', null)
      .where('received_at', '>=', since)
      .where('expires_at', '>', now)
      .execute()
    return rows.map((row) => ({
      recommId: row.recomm_id!,
      type: row.type as 'view' | 'cart' | 'purchase',
      item: row.item!,
    }))
  },

  /**
   * Subject events (not sessions) stored for `purpose`, unexpired, that happened after `since` (the
   * purpose's own retention), in key order after a cursor.
   */
  async listForPurpose(
    db: Db,
    purpose: string,
    now: string,
    since: string,
    after: EventKey | undefined,
    limit: number,
  ): Promise<StoredEvent[]> {
    const rows = await forPurposeAfter(db, purpose, now, since, after)
      .selectAll()
      .orderBy('owner')
      .orderBy('event_id')
      .limit(limit)
      .execute()
    return rows.map(fromRow)
  },

  /**
   * `listForPurpose` narrowed to what training reads: the events that name an item, with only their
   * owner, type, item and times (no purposes, no other field, no `StoredEvent` built). `next` is the
   * key of the last row scanned, item or not (the cursor of the next page), undefined when the page
   * was not full: there is no next page.
   */
  async listItemEventsForPurpose(
    db: Db,
    purpose: string,
    now: string,
    since: string,
    after: EventKey | undefined,
    limit: number,
  ): Promise<{ events: SubjectItemEvent[]; next: EventKey | undefined }> {
    const rows = await forPurposeAfter(db, purpose, now, since, after)
      .select(['owner', 'event_id', 'type', 'item', 'occurred_at', 'received_at'])
      .orderBy('owner')
      .orderBy('event_id')
      .limit(limit)
      .execute()
    const events: SubjectItemEvent[] = []
    for (const row of rows) {
      if (row.item === null) continue
      const event: SubjectItemEvent = {
        subjectId: row.owner,
        type: row.type as EventType,
        item: row.item,
        receivedAt: row.received_at,
      }
      if (row.occurred_at !== null) event.occurredAt = row.occurred_at
      events.push(event)
    }
    const last = rows.at(-1)
    return {
      events,
      next:
        rows.length < limit || last === undefined
          ? undefined
          : { owner: last.owner, eventId: last.event_id },
    }
  },

  /**
   * Subject events still stored for `purpose` that happened after `from` (if given) and at or before
   * `until` (so that purpose's own retention has ended), a page at a time. Found through the index on
   * the hour they happened (migration 0009), then by the exact time.
   */
  async listPurposeEnded(
    db: Db,
    purpose: string,
    from: string | undefined,
    until: string,
    limit: number,
  ): Promise<StoredEvent[]> {
    const hour = sql<string>`substr(coalesce(occurred_at, received_at), 1, 13)`
    const happened = sql<string>`coalesce(occurred_at, received_at)`
    let query = t(db)
      .selectFrom('events')
      .selectAll()
      .where(hour, '<=', until.slice(0, 13))
      .where(happened, '<=', until)
      .where('purposes', 'like', `%,${purpose},%`)
      .where('owner', 'not like', `${SESSION_PREFIX}%`)
    if (from !== undefined)
      query = query.where(hour, '>=', from.slice(0, 13)).where(happened, '>', from)
    const rows = await query.limit(limit).execute()
    return rows.map(fromRow)
  },

  /** Everything stored for an owner, expired or not (for access requests). */
  async listAllByOwner(db: Db, owner: string): Promise<StoredEvent[]> {
    const rows = await t(db)
      .selectFrom('events')
      .selectAll()
      .where('owner', '=', owner)
      .orderBy('received_at')
      .orderBy('event_id')
      .execute()
    return rows.map(fromRow)
  },
}

/**
 * Writes. Each is made with `write` (`owner-writes.ts`), naming the owners it touched: a read started
 * before then is not kept, one started after sees the write.
 */
function createWrites(write: WriteOf, { insertText, findExisting }: Statements) {
  return {
    /**
     * Inserts events, skipping any `(owner, event_id)` already stored (a retry); says for each event, in
     * order, whether this call inserted it.
     */
    insertMany: write(
      async (db: Db, events: readonly StoredEvent[]): Promise<boolean[]> => {
        if (dialectOf(db) === 'sqlite') {
          // On better-sqlite3 (synchronous, in-process) a one-row statement prepared once and run per
          // row beats one statement of hundreds of rows with RETURNING; a row went in when it changed one.
          const rows = events.map(rowValues)
          const { rows: changed } = await db.executeQuery(eachRow(insertText(db, 1, false), rows))
          return changed.map(({ changes }) => changes === 1)
        }
        // The key includes the expiry bucket (the partition key, migration 0022), and a retry may carry
        // another expiry (a new receipt time, a visit started afresh): `(owner, event_id)` is kept
        // once by taking the owners' locks for the transaction, then leaving out what is stored.
        if (events.length === 0) return []
        const owners = [...new Set(events.map(ownerOf))]
        await sql`select pg_advisory_xact_lock(${OWNER_LOCK_CLASS}, hashtext(o))
          from unnest(${owners}::text[]) as o order by hashtext(o)`.execute(db)
        const stored = await findExisting(
          db,
          events.map((e) => ({ owner: ownerOf(e), eventId: e.id })),
        )
        const fresh = events.filter((e) => !stored.has(`${ownerOf(e)}\u0000${e.id}`))
        const inserted = new Set<string>()
        for (let start = 0; start < fresh.length; start += INSERT_CHUNK) {
          const end = Math.min(fresh.length, start + INSERT_CHUNK)
          const parameters: (string | number | null)[] = []
          for (let i = start; i < end; i++) parameters.push(...rowValues(fresh[i]!))
          const { rows } = await db.executeQuery<{ owner: string; event_id: string }>(
            CompiledQuery.raw(insertText(db, end - start, true), parameters),
          )
          for (const r of rows) inserted.add(`${r.owner}\u0000${r.event_id}`)
        }
        return events.map((e) => inserted.has(`${ownerOf(e)}\u0000${e.id}`))
      },
      (_, events) => [...new Set(events.map(ownerOf))],
    ),

    /** Rewrites a stored event as it now is (a field it no longer has becomes null). */
    narrow: write(
      async (db: Db, event: StoredEvent): Promise<void> => {
        const values = rowValues(event)
        const { owner, event_id, ...columns } = Object.fromEntries(
          COLUMNS.map((column, i) => [column, values[i]]),
        ) as EventRow
        await t(db)
          .updateTable('events')
          .set(columns)
          .where('owner', '=', owner)
          .where('event_id', '=', event_id)
          .execute()
      },
      (_, event) => [event.subjectId ?? event.sessionKey ?? ''],
    ),

    deleteByIds: write(
      async (db: Db, owner: string, eventIds: readonly string[]): Promise<number> => {
        if (eventIds.length === 0) return 0
        const result = await t(db)
          .deleteFrom('events')
          .where('owner', '=', owner)
          .where('event_id', 'in', eventIds)
          .executeTakeFirst()
        return Number(result.numDeletedRows)
      },
      (_, owner, eventIds) => (eventIds.length === 0 ? [] : [owner]),
    ),

    deleteByOwner: write(
      async (db: Db, owner: string): Promise<number> => {
        const result = await t(db)
          .deleteFrom('events')
          .where('owner', '=', owner)
          .executeTakeFirst()
        return Number(result.numDeletedRows)
      },
      (_, owner) => [owner],
    ),

    deleteExpired: write(
      async (db: Db, now: string): Promise<number> => {
        // PostgreSQL: the months whose every event expired go as whole partitions (migration 0021).
        const dropped = dialectOf(db) === 'postgres' ? await dropExpiredMonths(db, now) : 0
        // Through the expiry-hour index (migration 0008): the hours up to now's, then the exact instant.
        const result = await t(db)
          .deleteFrom('events')
          .where(sql`substr(expires_at, 1, 13)`, '<=', now.slice(0, 13))
          .where('expires_at', '<=', now)
          .executeTakeFirst()
        return dropped + Number(result.numDeletedRows)
      },
      (deleted) => (deleted > 0 ? EVERY_OWNER : []),
    ),
  }
}

/** The events table's reads and writes (import checkpoints: `events.checkpoints.ts`). */
export function createEventsRepository(changes: ChangeFeed) {
  const statements = createStatements()
  const writes = createWrites(ownerWrites(changes), statements)
  return { ...reads, findExisting: statements.findExisting, ...writes }
}

export type EventsRepository = ReturnType<typeof createEventsRepository>
