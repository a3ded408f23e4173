import { type Migration, sql } from 'kysely'
import { type Db, dialectOf } from '../db.js'
import type { MigrationDb } from './index.js'

/**
 * Keys that let a distributed PostgreSQL (Citus) place each shopper's rows on one shard (see
 * `src/storage/distribution.ts` and docs/scale.md): a distributed table's primary key and unique
 * indexes must include its distribution column, and a foreign key between two distributed tables must
 * join them on it.
 *
 * - `consent_records`: primary key `(subject_id, id)` (was `id`).
 * - `recommend_feedback`: primary key `(owner, id)` (was `id`); its index on `owner` alone goes (the
 *   key's first column serves the same reads).
 * - `subject_refs`: placed by `ref_hash` (a lookup finds the subject by it), so its foreign key to
 *   `subjects` (placed by `subject_id`) goes: erasure deletes a subject's lookups itself
 *   (`identity.repository.ts`, `deleteSubject`), it never relied on the cascade.
 *
 * No row changes. SQLite cannot change a primary key or drop a foreign key in place: each table is
 * rebuilt (created anew, rows copied, the old one dropped, the new one renamed, indexes made again).
 */
export const migration0020DistributionKeys: Migration = {
  async up(db: MigrationDb) {
    if (dialectOf(db as Db) === 'postgres') {
      await replacePrimaryKey(db, 'consent_records', 'consent_records_pk', ['subject_id', 'id'])
      await replacePrimaryKey(db, 'recommend_feedback', 'recommend_feedback_pk', ['owner', 'id'])
      await db.schema.dropIndex('recommend_feedback_owner').execute()
      for (const name of await foreignKeysOf(db, 'subject_refs'))
        await sql`alter table subject_refs drop constraint ${sql.id(name)}`.execute(db)
      return
    }
    await rebuild(db, 'consent_records', CONSENT_RECORDS(true), [
      sql`create index consent_records_subject on consent_records (subject_id, recorded_at)`,
      sql`create index consent_records_recorded_at on consent_records (recorded_at)`,
    ])
    await rebuild(db, 'recommend_feedback', RECOMMEND_FEEDBACK(true), [])
    await rebuild(db, 'subject_refs', SUBJECT_REFS(false), [
      sql`create index subject_refs_subject on subject_refs (subject_id)`,
    ])
  },
  async down(db: MigrationDb) {
    if (dialectOf(db as Db) === 'postgres') {
      await replacePrimaryKey(db, 'consent_records', 'consent_records_pkey', ['id'])
      await replacePrimaryKey(db, 'recommend_feedback', 'recommend_feedback_pkey', ['id'])
      await db.schema
        .createIndex('recommend_feedback_owner')
        .on('recommend_feedback')
        .column('owner')
        .execute()
      await sql`alter table subject_refs add constraint subject_refs_subject_id_fkey
        foreign key (subject_id) references subjects (subject_id) on delete cascade`.execute(db)
      return
    }
    await rebuild(db, 'consent_records', CONSENT_RECORDS(false), [
      sql`create index consent_records_subject on consent_records (subject_id, recorded_at)`,
      sql`create index consent_records_recorded_at on consent_records (recorded_at)`,
    ])
    await rebuild(db, 'recommend_feedback', RECOMMEND_FEEDBACK(false), [
      sql`create index recommend_feedback_owner on recommend_feedback (owner)`,
    ])
    await rebuild(db, 'subject_refs', SUBJECT_REFS(true), [
      sql`create index subject_refs_subject on subject_refs (subject_id)`,
    ])
  },
}

/** The columns of 0003's ledger, keyed by the owner first (`ownerKey`) or by `id` alone. */
const CONSENT_RECORDS = (ownerKey: boolean) => sql`(
  id varchar(40) not null,
  subject_id varchar(64) not null,
  purpose varchar(100) not null,
  decision varchar(16) not null,
  method varchar(32) not null,
  notice_version varchar(64) not null,
  jurisdiction varchar(16) not null,
  recorded_at varchar(32) not null,
  ${ownerKey ? sql`constraint consent_records_pk primary key (subject_id, id)` : sql`primary key (id)`}
)`

/** The columns of 0006's feedback, keyed by the owner first (`ownerKey`) or by `id` alone. */
const RECOMMEND_FEEDBACK = (ownerKey: boolean) => sql`(
  id varchar(40) not null,
  owner varchar(80) not null,
  kind varchar(20) not null,
  item varchar(64),
  reason_kind varchar(32),
  rating integer,
  recomm_id varchar(40),
  created_at varchar(32) not null,
  expires_at varchar(32) not null,
  ${ownerKey ? sql`constraint recommend_feedback_pk primary key (owner, id)` : sql`primary key (id)`}
)`

/** The columns of 0002's lookup, with or without its foreign key to `subjects`. */
const SUBJECT_REFS = (foreignKey: boolean) => sql`(
  ref_hash varchar(80) primary key,
  subject_id varchar(64) not null
    ${foreignKey ? sql`references subjects (subject_id) on delete cascade` : sql``}
)`

/**
 * SQLite: `table` made anew with `columns`, every row copied by column name, the old table dropped
 * (its indexes and triggers with it; `ensureWatchedWrites` makes the triggers again after migrating)
 * and `indexes` made again.
 */
async function rebuild(
  db: MigrationDb,
  table: string,
  columns: ReturnType<typeof sql>,
  indexes: ReturnType<typeof sql>[],
): Promise<void> {
  const fresh = `${table}_rebuilt`
  await sql`create table ${sql.table(fresh)} ${columns}`.execute(db)
  const { rows } = await sql<{
    name: string
  }>`select name from pragma_table_info(${table})`.execute(db)
  const list = sql.join(rows.map((r) => sql.ref(r.name)))
  await sql`insert into ${sql.table(fresh)} (${list}) select ${list} from ${sql.table(table)}`.execute(
    db,
  )
  await sql`drop table ${sql.table(table)}`.execute(db)
  await sql`alter table ${sql.table(fresh)} rename to ${sql.table(table)}`.execute(db)
  for (const index of indexes) await index.execute(db)
}

/** PostgreSQL: the table's primary key replaced by one named `name` on `columns`, in one statement. */
async function replacePrimaryKey(
  db: MigrationDb,
  table: string,
  name: string,
  columns: string[],
): Promise<void> {
  const { rows } = await sql<{ name: string }>`
    select conname as name from pg_constraint
    where conrelid = to_regclass(${table}::text) and contype = 'p'`.execute(db)
  const current = rows[0]?.name
  if (current === undefined) throw new Error(`${table} has no primary key`)
  await sql`alter table ${sql.table(table)} drop constraint ${sql.id(current)},
    add constraint ${sql.id(name)} primary key (${sql.join(columns.map((c) => sql.ref(c)))})`.execute(
    db,
  )
}

/** PostgreSQL: the names of `table`'s foreign keys. */
async function foreignKeysOf(db: MigrationDb, table: string): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    select conname as name from pg_constraint
    where conrelid = to_regclass(${table}::text) and contype = 'f'`.execute(db)
  return rows.map((r) => r.name)
}
