import { Migrator, sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Db } from '../src/storage/db.js'
import { OWNER_COLUMNS, type Placement, TABLE_PLACEMENT } from '../src/storage/distribution.js'
import {
  DIALECTS,
  type DialectName,
  type TestDatabase,
  createTestDatabase,
} from './helpers/test-context.js'
import { createStorage, type Storage } from '../src/storage/db.js'
import { migrateToLatest } from '../src/storage/migrate.js'
import { MIGRATIONS } from '../src/storage/migrations/index.js'

/**
 * Issue 18, point 4: the schema is ready to be distributed by owner (Citus). Read from the migrated
 * database's own catalog, on every database: every table is placed in `TABLE_PLACEMENT` (a new table
 * fails here until it is); a distributed table's primary key starts with its distribution column and
 * every unique index includes it; a table with an owner column is distributed by it unless its
 * placement says why not; a foreign key between distributed tables joins them on both distribution
 * columns, and none points from a copied or local table into a distributed one.
 */

interface TableShape {
  columns: string[]
  /** The primary key's columns in key order (empty: none). */
  primaryKey: string[]
  /** Each unique index's columns (an expression counts as no column). */
  uniques: { name: string; columns: string[] }[]
  foreignKeys: { columns: string[]; references: string; referenced: string[] }[]
}

/** Every table of the migrated schema (partitions are their table's rows, not tables apart). */
async function readSchema(db: Db, dialect: DialectName): Promise<Map<string, TableShape>> {
  return dialect === 'sqlite' ? readSqlite(db) : readPostgres(db)
}

async function readSqlite(db: Db): Promise<Map<string, TableShape>> {
  const out = new Map<string, TableShape>()
  const { rows: tables } = await sql<{ name: string }>`
    select name from sqlite_master where type = 'table' and name not like 'sqlite_%'`.execute(db)
  for (const { name } of tables) {
    const { rows: columns } = await sql<{ name: string; pk: number }>`
      select name, pk from pragma_table_info(${name})`.execute(db)
    const { rows: indexes } = await sql<{ name: string; unique: number }>`
      select name, "unique" from pragma_index_list(${name})`.execute(db)
    const uniques = []
    for (const index of indexes.filter((i) => i.unique === 1)) {
      const { rows } = await sql<{ name: string | null }>`
        select name from pragma_index_info(${index.name}) order by seqno`.execute(db)
      uniques.push({
        name: index.name,
        columns: rows.flatMap((r) => (r.name === null ? [] : [r.name])),
      })
    }
    const { rows: keys } = await sql<{ id: number; table: string; from: string; to: string }>`
      select id, "table", "from", "to" from pragma_foreign_key_list(${name}) order by id, seq`.execute(
      db,
    )
    const foreignKeys = new Map<number, TableShape['foreignKeys'][number]>()
    for (const k of keys) {
      const fk = foreignKeys.get(k.id) ?? { columns: [], references: k.table, referenced: [] }
      fk.columns.push(k.from)
      fk.referenced.push(k.to)
      foreignKeys.set(k.id, fk)
    }
    out.set(name, {
      columns: columns.map((c) => c.name),
      primaryKey: columns
        .filter((c) => c.pk > 0)
        .sort((a, b) => a.pk - b.pk)
        .map((c) => c.name),
      uniques,
      foreignKeys: [...foreignKeys.values()],
    })
  }
  return out
}

async function readPostgres(db: Db): Promise<Map<string, TableShape>> {
  const out = new Map<string, TableShape>()
  const { rows: tables } = await sql<{ name: string }>`
    select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = current_schema() and c.relkind in ('r', 'p') and not c.relispartition`.execute(
    db,
  )
  for (const { name } of tables) {
    const { rows: columns } = await sql<{ name: string }>`
      select column_name as name from information_schema.columns
      where table_schema = current_schema() and table_name = ${name}
      order by ordinal_position`.execute(db)
    // Each unique index with its columns in key order (attnum 0: an expression).
    const { rows: indexes } = await sql<{ name: string; primary: boolean; columns: string[] }>`
      select ic.relname as name, i.indisprimary as primary,
        array(select a.attname from unnest(i.indkey) with ordinality k(attnum, pos)
              join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
              order by k.pos)::text[] as columns
      from pg_index i join pg_class ic on ic.oid = i.indexrelid
      where i.indrelid = to_regclass(${name}::text) and i.indisunique`.execute(db)
    const { rows: keys } = await sql<{
      columns: string[]
      references: string
      referenced: string[]
    }>`
      select
        array(select a.attname from unnest(c.conkey) with ordinality k(attnum, pos)
              join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.attnum
              order by k.pos)::text[] as columns,
        rc.relname as references,
        array(select a.attname from unnest(c.confkey) with ordinality k(attnum, pos)
              join pg_attribute a on a.attrelid = c.confrelid and a.attnum = k.attnum
              order by k.pos)::text[] as referenced
      from pg_constraint c join pg_class rc on rc.oid = c.confrelid
      where c.conrelid = to_regclass(${name}::text) and c.contype = 'f'`.execute(db)
    out.set(name, {
      columns: columns.map((c) => c.name),
      primaryKey: indexes.find((i) => i.primary)?.columns ?? [],
      uniques: indexes.map((i) => ({ name: i.name, columns: i.columns })),
      foreignKeys: keys,
    })
  }
  return out
}

function openStorage(dialect: DialectName, url: string): Storage {
  return createStorage(
    dialect === 'sqlite'
      ? { kind: 'sqlite', file: url.slice('sqlite:'.length) }
      : { kind: 'postgres', url },
  )
}

/** Tables only one database has (the others must exist wherever the test runs). */
const ONLY_ON: Readonly<Record<string, DialectName>> = { candor_watched_writes: 'sqlite' }

/** What keeps `schema` from being distributed as `placement` says: one line per problem. */
function placementProblems(
  schema: Map<string, TableShape>,
  placement: Readonly<Record<string, Placement>>,
  dialect: DialectName,
): string[] {
  const problems: string[] = []
  for (const table of Object.keys(placement))
    if (!schema.has(table) && (ONLY_ON[table] ?? dialect) === dialect)
      problems.push(`${table} is placed but is not in the schema`)
  for (const [table, shape] of schema) {
    const place = placement[table]
    if (place === undefined) {
      problems.push(`${table} is not placed (src/storage/distribution.ts)`)
      continue
    }
    const owners = shape.columns.filter((c) => OWNER_COLUMNS.includes(c))
    if (place.kind !== 'distributed') {
      if (place.why.trim() === '') problems.push(`${table}: say why it is ${place.kind}`)
      continue
    }
    if (!shape.columns.includes(place.by)) problems.push(`${table} has no column ${place.by}`)
    if (owners.length > 0 && !owners.includes(place.by) && (place.why ?? '').trim() === '')
      problems.push(`${table} has an owner column but is distributed by ${place.by}: say why`)
    if (shape.primaryKey[0] !== place.by)
      problems.push(
        `${table}: primary key (${shape.primaryKey.join(', ')}) does not start with ${place.by}`,
      )
    for (const unique of shape.uniques)
      if (!unique.columns.includes(place.by))
        problems.push(`${table}: unique index ${unique.name} does not include ${place.by}`)
  }
  for (const [table, shape] of schema) {
    const place = placement[table]
    for (const fk of shape.foreignKeys) {
      const target = placement[fk.references]
      if (target?.kind !== 'distributed') continue
      if (place?.kind !== 'distributed') {
        problems.push(`${table} (${place?.kind}) has a foreign key to distributed ${fk.references}`)
        continue
      }
      const at = fk.columns.indexOf(place.by)
      if (at < 0 || fk.referenced[at] !== target.by)
        problems.push(
          `${table}: foreign key to ${fk.references} does not join ${place.by} to ${target.by}`,
        )
    }
  }
  return problems
}

/** Migrates `storage` up to and including `name` only. */
async function migrateTo(storage: Storage, name: string): Promise<void> {
  const schema =
    storage.dialect === 'postgres'
      ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(storage.db))
          .rows[0]?.schema
      : undefined
  const { error } = await new Migrator({
    db: storage.db,
    ...(schema === undefined ? {} : { migrationTableSchema: schema }),
    provider: { getMigrations: () => Promise.resolve(MIGRATIONS) },
    migrationTableName: 'candor_migrations',
    migrationLockTableName: 'candor_migrations_lock',
  }).migrateTo(name)
  if (error !== undefined) throw new Error(`migrating to ${name} failed`, { cause: error })
}

/** Every row of `table`, as text, in a stable order. */
async function rowsOf(db: Db, table: string): Promise<string> {
  const { rows } = await sql`select * from ${sql.table(table)}`.execute(db)
  return JSON.stringify(rows.map((r) => JSON.stringify(r)).sort())
}

for (const dialect of DIALECTS) {
  describe(`migration 0020 on ${dialect}`, () => {
    it('changes the keys without losing a row', async () => {
      const database = await createTestDatabase(dialect)
      const storage = openStorage(dialect, database.url)
      try {
        await migrateTo(storage, '0017_touchpoint_counts')
        const db = storage.db
        await sql`insert into subjects (subject_id, created_at) values
          ('sub_a', '2026-01-01T00:00:00.000Z'), ('sub_b', '2026-01-01T00:00:00.000Z')`.execute(db)
        await sql`insert into subject_refs (ref_hash, subject_id) values
          ('h1', 'sub_a'), ('h2', 'sub_a'), ('h3', 'sub_b')`.execute(db)
        await sql`insert into consent_records (id, subject_id, purpose, decision, method,
          notice_version, jurisdiction, recorded_at) values
          ('c1', 'sub_a', 'p', 'granted', 'banner', 'v1', 'UK', '2026-01-01T00:00:00.000Z'),
          ('c2', 'ses_x', 'p', 'denied', 'banner', 'v1', 'UK', '2026-01-02T00:00:00.000Z')`.execute(
          db,
        )
        await sql`insert into recommend_feedback (id, owner, kind, item, created_at, expires_at) values
          ('f1', 'sub_a', 'not_interested', 'MUG', '2026-01-01T00:00:00.000Z',
           '2027-01-01T00:00:00.000Z')`.execute(db)
        const before = await Promise.all(
          ['subject_refs', 'consent_records', 'recommend_feedback'].map((t) => rowsOf(db, t)),
        )
        await migrateToLatest(storage)
        const after = await Promise.all(
          ['subject_refs', 'consent_records', 'recommend_feedback'].map((t) => rowsOf(db, t)),
        )
        expect(after).toEqual(before)
        expect(before[1]).toContain('ses_x')
      } finally {
        await storage.close()
        await database.drop()
      }
    })
  })

  describe(`distribution keys on ${dialect}`, () => {
    let database: TestDatabase
    let storage: Storage
    beforeAll(async () => {
      database = await createTestDatabase(dialect)
      storage = openStorage(dialect, database.url)
      await migrateToLatest(storage)
    })
    afterAll(async () => {
      await storage.close()
      await database.drop()
    })

    it('places every table, keyed by its distribution column first', async () => {
      const schema = await readSchema(storage.db, dialect)
      expect(placementProblems(schema, TABLE_PLACEMENT, dialect)).toEqual([])
      // Not vacuous: the per-shopper tables are there, led by their owner.
      expect(schema.get('consent_records')?.primaryKey).toEqual(['subject_id', 'id'])
      expect(schema.get('recommend_feedback')?.primaryKey).toEqual(['owner', 'id'])
      expect(schema.get('events')?.primaryKey[0]).toBe('owner')
      expect(schema.get('subject_refs')?.foreignKeys).toEqual([])
    })

    it('fails a new table until it is placed, and a key that does not lead with the owner', async () => {
      await sql`create table probe_unplaced (owner varchar(80) not null, id varchar(40) not null,
        primary key (id))`.execute(storage.db)
      await sql`create table probe_owned (id varchar(40) not null, owner varchar(80) not null,
        note varchar(10), primary key (owner, id))`.execute(storage.db)
      await sql`create unique index probe_owned_note on probe_owned (note)`.execute(storage.db)
      await sql`create table probe_copied (id varchar(40) primary key,
        owner varchar(80) not null, foreign key (owner, id) references probe_owned (owner, id))`.execute(
        storage.db,
      )
      try {
        const schema = await readSchema(storage.db, dialect)
        const problems = placementProblems(
          schema,
          {
            ...TABLE_PLACEMENT,
            probe_owned: { kind: 'distributed', by: 'owner' },
            probe_copied: { kind: 'reference', why: 'a probe' },
          },
          dialect,
        )
        expect(problems).toContain('probe_unplaced is not placed (src/storage/distribution.ts)')
        expect(problems).toContain(
          'probe_owned: unique index probe_owned_note does not include owner',
        )
        expect(problems).toContain(
          'probe_copied (reference) has a foreign key to distributed probe_owned',
        )
        const keyed = placementProblems(
          schema,
          { ...TABLE_PLACEMENT, probe_unplaced: { kind: 'distributed', by: 'owner' } },
          dialect,
        )
        expect(keyed).toContain('probe_unplaced: primary key (id) does not start with owner')
      } finally {
        for (const table of ['probe_copied', 'probe_owned', 'probe_unplaced'])
          await sql`drop table ${sql.table(table)}`.execute(storage.db)
      }
    })
  })
}
