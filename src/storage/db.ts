import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3-multiple-ciphers'
import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  Kysely,
  type LogEvent,
  PostgresDialect,
  SqliteDialect,
  type SqliteDialectConfig,
  SqliteDriver,
  type SqliteDatabase,
  type SqliteStatement,
  sql,
} from 'kysely'
import pg from 'pg'
import type { DatabaseConfig } from '../config.js'
import { ensurePrivateDir, ensurePrivateFile, tightenIfExists } from '../lib/private-files.js'
import { createGroupRankFunction } from '../lib/group-rank.js'
import { type ChangeFeed, createChangeFeed } from './changes.js'
import { type LocalAnnounce, createPostgresChangeFeed } from './pg-changes.js'
import { WATCHED_WRITES_TABLE } from './watched-writes.js'

/**
 * Kysely's SQLite driver, with transactions that take the write lock when they begin (`begin immediate`)
 * rather than at their first write. A deferred transaction that read before another process committed
 * cannot upgrade to a writer: SQLite answers SQLITE_BUSY at once, without waiting `busy_timeout`. With
 * several processes on one file (worker mode, a `candor` command beside the server, a training run's
 * write while requests are served) that made a consent write fail now and then; taking the lock first
 * makes it wait its turn instead.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'))
  }
}

class ImmediateSqliteDialect extends SqliteDialect {
  readonly #settings: SqliteDialectConfig

  constructor(config: SqliteDialectConfig) {
    super(config)
    this.#settings = config
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#settings)
  }
}

/**
 * The database handle every repository takes first. Its table types are unknown here on purpose: each
 * module declares its own tables and reads them through `db.withTables<ItsTables>()`, so no module can
 * reach another's rows by accident.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export type Db = Kysely<{}>

export type Dialect = 'sqlite' | 'postgres'

export interface Storage {
  readonly db: Db
  readonly dialect: Dialect
  /** Runs a trivial query; throws when the database cannot be reached. */
  ping(): Promise<void>
  /**
   * Pushes deleted data out of the files after an erasure: on SQLite, deleted pages are zeroed
   * (secure_delete) and this folds the write-ahead log back and truncates it, so no old page image
   * survives. PostgreSQL's dead tuples are reclaimed by its own (auto)vacuum. Throws when the log
   * could not be truncated (another connection kept reading an older snapshot past the busy timeout).
   */
  scrub(): Promise<void>
  /** Which owners' rows this handle wrote, for the in-memory copies of them (one feed per connection). */
  readonly changes: ChangeFeed
  /**
   * Another connection to the same database, for a test or a benchmark that plays a second process
   * inside this one. On SQLite the two count their writes together (`localWrites`, see `ChangeFeed`);
   * on PostgreSQL each announces its writes to the other's copies as to its own: what one commits, the
   * other's copies see at once, as they would only after I/O from a real process. Two storages opened
   * with `createStorage` are two processes (on PostgreSQL, each hears the other through NOTIFY).
   */
  another(): Storage
  close(): Promise<void>
}

/** Writing statements run through the connections of one storage (and those of its `another`). */
interface WriteCount {
  writes: number
  /**
   * Told the text (and parameters) of every statement the storage's pool or connection runs (a test
   * counts them, or runs one again to see what it returned).
   */
  onQuery?: ((text: string, parameters: readonly unknown[]) => void) | undefined
  /** PostgreSQL: the change feeds of these storages, which hear each other's writes at once. */
  peers?: Set<LocalAnnounce>
}

/** Kysely's `log` option when statements are watched. */
function logOf(count: WriteCount) {
  const onQuery = count.onQuery
  if (onQuery === undefined) return {}
  return {
    log: (event: LogEvent) => {
      if (event.level === 'query') onQuery(event.query.sql, event.query.parameters)
    },
  }
}

/**
 * Which engine a handle (or a transaction on it) talks to, for the few hot paths whose statements differ
 * by engine. Read from how Kysely binds a parameter for it (`?` or `$1`): a transaction carries no
 * other public trace of its dialect.
 */
export function dialectOf(db: Db): Dialect {
  return sql`${0}`.compile(db).sql === '?' ? 'sqlite' : 'postgres'
}

// PostgreSQL returns int8 (COUNT, SUM, bigint) as strings; our counts fit in a double.
pg.types.setTypeParser(20, (value) => Number(value))

const EACH_ROW = '/* each row */ '

/**
 * On SQLite, one statement run once per row, in one call: answers one row per input row, `{ changes }`
 * (1 when an insert went in, 0 when ON CONFLICT DO NOTHING skipped it). A batch of inserts then costs
 * one trip through Kysely instead of one per row (its promises and result objects cost more than
 * SQLite's insert of a small row), and SQLite still runs the one-row statement it prepared once, which
 * beats a statement of hundreds of rows. `text` binds one row's values with `?`; run it inside the
 * transaction that should hold the rows. PostgreSQL has no such statement: take a multi-row insert there.
 *
 * @example
 *   const { rows } = await trx.executeQuery(eachRow(insertOneRow, rows)) // [{ changes: 1 }, ...]
 */
export function eachRow(
  text: string,
  rows: readonly (readonly unknown[])[],
): CompiledQuery<{ changes: number }> {
  return CompiledQuery.raw(EACH_ROW + text, rows as unknown[])
}

/** The statement behind `eachRow`: its parameters are rows, each bound to `statement` in turn. */
function eachRowStatement(statement: SqliteStatement): SqliteStatement {
  const runAll = (rows: readonly unknown[]) =>
    rows.map((row) => ({ changes: Number(statement.run(row as unknown[]).changes) }))
  return {
    reader: true,
    all: runAll,
    run: (rows) => ({
      changes: runAll(rows).reduce((sum, row) => sum + row.changes, 0),
      lastInsertRowid: 0,
    }),
    iterate: (rows) => runAll(rows)[Symbol.iterator](),
  }
}

/**
 * better-sqlite3 behind Kysely's port, with a bounded cache of prepared statements: Kysely prepares every
 * query afresh, and preparing costs more than running for the small, repeated queries of the hot paths
 * (consent reads, identity lookups, event inserts). A statement still busy (an open stream) is not reused.
 * A text marked by `eachRow` runs its statement once per row. `wrote` is told of every writing statement
 * run (the storage counts them for its `ChangeFeed`).
 */
function withStatementCache(
  database: Database.Database,
  wrote: () => void,
  max = 500,
): SqliteDatabase {
  const cache = new Map<string, Database.Statement>()
  const port: SqliteDatabase = {
    close: () => database.close(),
    prepare(text: string) {
      if (text.startsWith(EACH_ROW))
        return eachRowStatement(port.prepare(text.slice(EACH_ROW.length)))
      const hit = cache.get(text)
      if (hit !== undefined && !hit.busy) {
        cache.delete(text)
        cache.set(text, hit)
        // Kysely runs a statement as soon as it has it prepared.
        if (!hit.reader) wrote()
        return hit
      }
      const statement = database.prepare(text)
      if (!statement.reader) wrote()
      if (hit === undefined) {
        cache.set(text, statement)
        if (cache.size > max) cache.delete(cache.keys().next().value!)
      }
      return statement
    },
  }
  return port
}

/**
 * Opens SQLite (the embedded default: WAL, foreign keys on, file created with its folder) or
 * PostgreSQL (a connection pool), behind the same Kysely interface. `onQuery` is told every statement
 * the storage (and its `another()`) runs: a test counts what a read costs.
 */
export function createStorage(
  config: DatabaseConfig,
  options: { onQuery?: (text: string, parameters: readonly unknown[]) => void } = {},
): Storage {
  return openStorage(config, { writes: 0, onQuery: options.onQuery })
}

function openStorage(config: DatabaseConfig, count: WriteCount): Storage {
  return config.kind === 'postgres' ? openPostgres(config, count) : openSqlite(config, count)
}

/**
 * A PostgreSQL pool behind Kysely, and a connection of its own that listens for other processes' writes
 * (see `ChangeFeed`, `pg-changes.ts`).
 */
function openPostgres(config: DatabaseConfig & { kind: 'postgres' }, count: WriteCount): Storage {
  const pool = new pg.Pool({ connectionString: config.url, max: 10 })
  // An idle client's error (server restart) must not crash the process; the next query reports it.
  pool.on('error', () => undefined)
  const db: Db = new Kysely({ dialect: new PostgresDialect({ pool }), ...logOf(count) })
  const changes = createPostgresChangeFeed(config.url, pool, (count.peers ??= new Set()))
  return {
    db,
    dialect: 'postgres',
    ping: async () => {
      await sql`select 1`.execute(db)
    },
    scrub: async () => undefined,
    changes,
    another: () => openStorage(config, count),
    close: async () => {
      await changes.close()
      await db.destroy()
    },
  }
}

/** SQLite (WAL, foreign keys, secure delete), counting its writes in `count` (see `ChangeFeed`). */
/** SQL functions our SQL calls on SQLite. */
function registerFunctions(database: Database.Database): void {
  // The insights' contribution bounding ranks a shopper's groups in SQL (PostgreSQL uses md5 there).
  database.function(
    'candor_group_rank',
    { varargs: true, deterministic: true },
    createGroupRankFunction(),
  )
}

function openSqlite(config: DatabaseConfig & { kind: 'sqlite' }, count: WriteCount): Storage {
  // The database holds personal data: its folder and files are readable by this user only.
  ensurePrivateDir(path.dirname(config.file))
  ensurePrivateFile(config.file)
  const database = new Database(config.file)
  if (config.key !== undefined) unlock(database, config.key)
  database.pragma('journal_mode = WAL')
  // SQLite gives its -wal and -shm files the database file's mode; made private here all the same.
  for (const suffix of ['-wal', '-shm']) tightenIfExists(`${config.file}${suffix}`)
  database.pragma('foreign_keys = ON')
  database.pragma('busy_timeout = 5000')
  database.pragma('synchronous = NORMAL')
  // Deleted content is overwritten with zeros, so an erased subject cannot be read back from free pages.
  database.pragma('secure_delete = ON')
  registerFunctions(database)
  const db: Db = new Kysely({
    dialect: new ImmediateSqliteDialect({
      database: withStatementCache(database, () => (count.writes += 1)),
    }),
    ...logOf(count),
  })
  const dataVersion = database.prepare('pragma data_version').pluck()
  const commits = commitCounter(config.file)
  let lastCommit: number | undefined
  let lastVersion: number | undefined
  /**
   * `PRAGMA data_version`, asked only when some connection committed since the last time: statements
   * cost several µs each (a read transaction), reading the commit counter one small read.
   */
  const readDataVersion = (): number | undefined => {
    if (!database.open) return undefined
    const commit = commits.read()
    if (commit !== undefined && commit === lastCommit) return lastVersion
    lastVersion = dataVersion.get() as number
    lastCommit = commit
    return lastVersion
  }
  // Prepared once the table exists (it is made by the first migration run on the file).
  let watchedWrites: Database.Statement | undefined
  const readWatchedWrites = (): number | undefined => {
    if (!database.open) return undefined
    try {
      watchedWrites ??= database
        .prepare(`select writes from ${WATCHED_WRITES_TABLE} where id = 1`)
        .pluck()
      return watchedWrites.get() as number | undefined
    } catch {
      return undefined
    }
  }
  return {
    db,
    dialect: 'sqlite',
    ping: async () => {
      await sql`select 1`.execute(db)
    },
    scrub: async () => {
      // SQLite answers `busy = 1` (no error) when a reader held an older snapshot past the busy timeout:
      // the log was then not truncated, so the erased rows' page images may still be in it.
      const { rows } = await sql<{
        busy: number
      }>`pragma wal_checkpoint(TRUNCATE)`.execute(db)
      if (rows[0]?.busy !== 0)
        throw new Error(
          'the write-ahead log could not be truncated: another connection kept reading past the busy timeout',
        )
    },
    // Moves when another connection (another process) commits. Asked on every request: prepared once.
    changes: createChangeFeed(readDataVersion, () => count.writes, readWatchedWrites),
    another: () => openStorage(config, count),
    close: async () => {
      commits.close()
      await db.destroy()
    },
  }
}

/** The WAL-index format version SQLite has written since 3.7.0. */
const WAL_INDEX_VERSION = 3_007_000

/**
 * The commit counter SQLite keeps in the WAL index (`iChange`, a 32-bit number in native byte order at
 * byte 8 of the `-shm` file, see https://www.sqlite.org/walformat.html), which every commit by any
 * connection to the file moves before the commit returns. Read through a file descriptor of its own:
 * the `-shm` file is shared memory, so a read sees what another process's commit wrote. Undefined (ask
 * `PRAGMA data_version` every time) when the file cannot be read or its header is not that format.
 */
/**
 * Encryption at rest (CANDOR_DATABASE_KEY): SQLite3 Multiple Ciphers' default cipher (ChaCha20-Poly1305)
 * over every page, the WAL too; a new file is encrypted from its first page. A wrong key, or a file
 * written without one, stops the start with a clear error instead of a later "not a database".
 */
function unlock(database: Database.Database, key: string): void {
  database.pragma(`key = '${key.replaceAll("'", "''")}'`)
  try {
    database.prepare('select count(*) from sqlite_master').get()
  } catch (error) {
    database.close()
    throw new Error(
      'CANDOR_DATABASE_KEY does not open this database: the key is wrong, or the file was written without encryption (encryption applies to a new database)',
      { cause: error },
    )
  }
}

export function commitCounter(file: string): { read(): number | undefined; close(): void } {
  let fd: number | undefined
  try {
    fd = fs.openSync(`${file}-shm`, 'r')
  } catch {
    fd = undefined
  }
  const bytes = Buffer.alloc(16)
  const littleEndian = os.endianness() === 'LE'
  const u32 = (offset: number) =>
    littleEndian ? bytes.readUInt32LE(offset) : bytes.readUInt32BE(offset)
  return {
    read() {
      if (fd === undefined) return undefined
      try {
        if (fs.readSync(fd, bytes, 0, 16, 0) !== 16) return undefined
      } catch {
        return undefined
      }
      // The header's format version (3007000 since SQLite 3.7.0) and its "initialized" flag: anything
      // else is a layout this does not know, and `PRAGMA data_version` is asked every time.
      if (u32(0) !== WAL_INDEX_VERSION || bytes[12] !== 1) return undefined
      return u32(8)
    },
    close() {
      if (fd !== undefined) fs.closeSync(fd)
      fd = undefined
    },
  }
}
