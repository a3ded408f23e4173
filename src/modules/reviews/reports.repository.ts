import type { Db } from '../../storage/db.js'

type ReviewsTables = {
  review_reports: { id: string; created_at: string; notice_version: string; body: string }
  review_dpia_signoffs: {
    id: string
    signed_at: string
    key_id: string
    notice_version: string
    dpia_hash: string
    note: string | null
  }
}

/** A stored report: its row, the body still JSON text (the service parses it). */
export interface StoredReport {
  id: string
  createdAt: string
  noticeVersion: string
  body: string
}

export interface StoredSignOff {
  id: string
  signedAt: string
  keyId: string
  noticeVersion: string
  dpiaHash: string
  note: string | null
}

const t = (db: Db) => db.withTables<ReviewsTables>()

/**
 * The SQL of the reviews' own tables (migration 0025): stored audit reports and DPIA sign-offs. Every
 * function takes the executor first, so a sign-off is written in the transaction of its audit entry.
 */
export const reportsRepository = {
  async insertReport(db: Db, report: StoredReport): Promise<void> {
    await t(db)
      .insertInto('review_reports')
      .values({
        id: report.id,
        created_at: report.createdAt,
        notice_version: report.noticeVersion,
        body: report.body,
      })
      .execute()
  },

  /** The newest `limit` reports, newest first (ids are sortable by time, and break ties). */
  async latestReports(db: Db, limit: number): Promise<StoredReport[]> {
    const rows = await t(db)
      .selectFrom('review_reports')
      .selectAll()
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute()
    return rows.map((r) => ({
      id: r.id,
      createdAt: r.created_at,
      noticeVersion: r.notice_version,
      body: r.body,
    }))
  },

  async insertSignOff(db: Db, signOff: StoredSignOff): Promise<void> {
    await t(db)
      .insertInto('review_dpia_signoffs')
      .values({
        id: signOff.id,
        signed_at: signOff.signedAt,
        key_id: signOff.keyId,
        notice_version: signOff.noticeVersion,
        dpia_hash: signOff.dpiaHash,
        note: signOff.note,
      })
      .execute()
  },

  async latestSignOff(db: Db): Promise<StoredSignOff | undefined> {
    const row = await t(db)
      .selectFrom('review_dpia_signoffs')
      .selectAll()
      .orderBy('signed_at', 'desc')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst()
    if (row === undefined) return undefined
    return {
      id: row.id,
      signedAt: row.signed_at,
      keyId: row.key_id,
      noticeVersion: row.notice_version,
      dpiaHash: row.dpia_hash,
      note: row.note,
    }
  },
}
