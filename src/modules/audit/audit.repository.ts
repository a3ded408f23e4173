import { sql } from 'kysely'
import type { Db, Dialect } from '../../storage/db.js'

type AuditTables = {
  audit_log: {
    seq: number
    at: string
    actor: string
    action: string
    subject_id: string | null
    details: string
    prev_hash: string
    hash: string
  }
}

export interface AuditRow {
  seq: number
  at: string
  actor: string
  action: string
  subjectId: string | null
  details: string
  prevHash: string
  hash: string
}

function toRow(r: AuditTables['audit_log']): AuditRow {
  return {
    seq: r.seq,
    at: r.at,
    actor: r.actor,
    action: r.action,
    subjectId: r.subject_id,
    details: r.details,
    prevHash: r.prev_hash,
    hash: r.hash,
  }
}

/** What `GET /v1/audit` may ask for. */
export interface AuditListFilter {
  subjectId?: string
  beforeSeq?: number
  action?: string
  actor?: string
  from?: string
  to?: string
  limit: number
}

const CHAIN_LOCK_KEY = 7_301_001

export function createAuditRepository(dialect: Dialect) {
  const t = (db: Db) => db.withTables<AuditTables>()
  return {
    /** Serializes appends across processes on PostgreSQL; SQLite transactions are already serial. */
    async lockChain(db: Db): Promise<void> {
      if (dialect === 'postgres')
        await sql`select pg_advisory_xact_lock(${CHAIN_LOCK_KEY})`.execute(db)
    },
    async findHead(db: Db): Promise<{ seq: number; hash: string } | undefined> {
      return t(db)
        .selectFrom('audit_log')
        .select(['seq', 'hash'])
        .orderBy('seq', 'desc')
        .limit(1)
        .executeTakeFirst()
    },
    async insert(db: Db, row: AuditRow): Promise<void> {
      await t(db)
        .insertInto('audit_log')
        .values({
          seq: row.seq,
          at: row.at,
          actor: row.actor,
          action: row.action,
          subject_id: row.subjectId,
          details: row.details,
          prev_hash: row.prevHash,
          hash: row.hash,
        })
        .execute()
    },
    /** Entries in chain order, a page at a time, so verification never loads the whole log. */
    async listAfter(db: Db, afterSeq: number, limit: number): Promise<AuditRow[]> {
      const rows = await t(db)
        .selectFrom('audit_log')
        .selectAll()
        .where('seq', '>', afterSeq)
        .orderBy('seq', 'asc')
        .limit(limit)
        .execute()
      return rows.map(toRow)
    },
    /**
     * Entries newest first, filtered (all filters together): a `*` at the end of `action` or `actor`
     * matches by prefix; `from` is included and `to` excluded (ISO instants).
     */
    async listRecent(db: Db, filter: AuditListFilter): Promise<AuditRow[]> {
      let query = t(db).selectFrom('audit_log').selectAll()
      if (filter.subjectId !== undefined) query = query.where('subject_id', '=', filter.subjectId)
      if (filter.beforeSeq !== undefined) query = query.where('seq', '<', filter.beforeSeq)
      for (const column of ['action', 'actor'] as const) {
        const pattern = filter[column]
        if (pattern === undefined) continue
        if (pattern.endsWith('*')) {
          const prefix = pattern.slice(0, -1)
          query = query.where(
            sql<string>`substr(${sql.ref(column)}, 1, ${prefix.length})`,
            '=',
            prefix,
          )
        } else query = query.where(column, '=', pattern)
      }
      if (filter.from !== undefined) query = query.where('at', '>=', filter.from)
      if (filter.to !== undefined) query = query.where('at', '<', filter.to)
      const rows = await query.orderBy('seq', 'desc').limit(filter.limit).execute()
      return rows.map(toRow)
    },
    async listBySubject(db: Db, subjectId: string): Promise<AuditRow[]> {
      const rows = await t(db)
        .selectFrom('audit_log')
        .selectAll()
        .where('subject_id', '=', subjectId)
        .orderBy('seq', 'asc')
        .execute()
      return rows.map(toRow)
    },
  }
}
