import type { Db } from '../../storage/db.js'

/** The clean room's tables (migration 0024). No copy is made of them: every read goes to the database. */
type CleanroomTables = {
  cleanroom_uploads: {
    id: string
    key_id: string
    vendor: string
    purpose: string
    secret_key_id: string
    state: string
    partner_count: number
    candor_count: number
    created_at: string
    matched_at: string | null
    expires_at: string
  }
  cleanroom_partner_values: { upload_id: string; value: string }
  cleanroom_pending: { subject_id: string; upload_id: string; position: number }
  cleanroom_matches: { subject_id: string; upload_id: string }
}

export type UploadState = 'awaiting_matches' | 'matched'

export interface CleanroomUpload {
  id: string
  keyId: string
  vendor: string
  purpose: string
  /** The key-file (pseudonym) key Candor's per-upload scalar is derived from. */
  secretKeyId: string
  state: UploadState
  partnerCount: number
  candorCount: number
  createdAt: string
  matchedAt: string | null
  expiresAt: string
}

/** Rows per statement: far below both databases' limits on bound parameters. */
const CHUNK = 500

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK))
  return out
}

function toUpload(row: CleanroomTables['cleanroom_uploads']): CleanroomUpload {
  return {
    id: row.id,
    keyId: row.key_id,
    vendor: row.vendor,
    purpose: row.purpose,
    secretKeyId: row.secret_key_id,
    state: row.state as UploadState,
    partnerCount: Number(row.partner_count),
    candorCount: Number(row.candor_count),
    createdAt: row.created_at,
    matchedAt: row.matched_at,
    expiresAt: row.expires_at,
  }
}

export type CleanroomRepository = ReturnType<typeof createCleanroomRepository>

/** The clean room's SQL; every function takes the database or a transaction first. */
export function createCleanroomRepository() {
  const t = (db: Db) => db.withTables<CleanroomTables>()
  return {
    async insertUpload(
      db: Db,
      upload: CleanroomUpload,
      partnerValues: readonly string[],
      pending: readonly { subjectId: string; position: number }[],
    ): Promise<void> {
      await t(db)
        .insertInto('cleanroom_uploads')
        .values({
          id: upload.id,
          key_id: upload.keyId,
          vendor: upload.vendor,
          purpose: upload.purpose,
          secret_key_id: upload.secretKeyId,
          state: upload.state,
          partner_count: upload.partnerCount,
          candor_count: upload.candorCount,
          created_at: upload.createdAt,
          matched_at: upload.matchedAt,
          expires_at: upload.expiresAt,
        })
        .execute()
      for (const part of chunks(partnerValues))
        await t(db)
          .insertInto('cleanroom_partner_values')
          .values(part.map((value) => ({ upload_id: upload.id, value })))
          .execute()
      for (const part of chunks(pending))
        await t(db)
          .insertInto('cleanroom_pending')
          .values(
            part.map((p) => ({
              subject_id: p.subjectId,
              upload_id: upload.id,
              position: p.position,
            })),
          )
          .execute()
    },

    async findUpload(db: Db, id: string): Promise<CleanroomUpload | undefined> {
      const row = await t(db)
        .selectFrom('cleanroom_uploads')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirst()
      return row === undefined ? undefined : toUpload(row)
    },

    /** The upload's doubly blinded partner values. */
    async listPartnerValues(db: Db, uploadId: string): Promise<Set<string>> {
      const rows = await t(db)
        .selectFrom('cleanroom_partner_values')
        .select('value')
        .where('upload_id', '=', uploadId)
        .execute()
      return new Set(rows.map((r) => r.value))
    },

    /** Position in the list Candor sent -> the subject there (padding positions have none). */
    async listPending(db: Db, uploadId: string): Promise<Map<number, string>> {
      const rows = await t(db)
        .selectFrom('cleanroom_pending')
        .select(['position', 'subject_id'])
        .where('upload_id', '=', uploadId)
        .execute()
      return new Map(rows.map((r) => [Number(r.position), r.subject_id]))
    },

    /**
     * Marks the upload matched if it was still waiting; false when it was not. Made first in the
     * matching transaction, so a second matching of the same upload waits for the first (PostgreSQL's
     * row lock, SQLite's single writer) and then finds it matched.
     */
    async claimMatch(db: Db, uploadId: string, at: string): Promise<boolean> {
      const result = await t(db)
        .updateTable('cleanroom_uploads')
        .set({ state: 'matched', matched_at: at })
        .where('id', '=', uploadId)
        .where('state', '=', 'awaiting_matches')
        .executeTakeFirst()
      return Number(result.numUpdatedRows) === 1
    },

    /** Records the overlap and forgets what matching needed (the partner's values, the position map). */
    async completeMatch(db: Db, uploadId: string, subjectIds: readonly string[]): Promise<void> {
      for (const part of chunks(subjectIds))
        await t(db)
          .insertInto('cleanroom_matches')
          .values(part.map((subjectId) => ({ subject_id: subjectId, upload_id: uploadId })))
          .execute()
      await t(db).deleteFrom('cleanroom_partner_values').where('upload_id', '=', uploadId).execute()
      await t(db).deleteFrom('cleanroom_pending').where('upload_id', '=', uploadId).execute()
    },

    async listMatches(db: Db, uploadId: string): Promise<string[]> {
      const rows = await t(db)
        .selectFrom('cleanroom_matches')
        .select('subject_id')
        .where('upload_id', '=', uploadId)
        .execute()
      return rows.map((r) => r.subject_id)
    },

    /** The overlaps the subject is in (for access requests): which vendor, purpose and until when. */
    async listSubjectMatches(db: Db, subjectId: string) {
      return t(db)
        .selectFrom('cleanroom_matches as m')
        .innerJoin('cleanroom_uploads as u', 'u.id', 'm.upload_id')
        .select(['u.vendor', 'u.purpose', 'u.matched_at as matchedAt', 'u.expires_at as expiresAt'])
        .where('m.subject_id', '=', subjectId)
        .orderBy('u.matched_at')
        .execute()
    },

    /** Takes subjects out of one upload's overlap (they no longer grant its purpose). */
    async removeMatches(db: Db, uploadId: string, subjectIds: readonly string[]): Promise<number> {
      let removed = 0
      for (const part of chunks(subjectIds)) {
        const result = await t(db)
          .deleteFrom('cleanroom_matches')
          .where('upload_id', '=', uploadId)
          .where('subject_id', 'in', part)
          .executeTakeFirst()
        removed += Number(result.numDeletedRows)
      }
      return removed
    },

    /** Removes the subject from every overlap and every upload still waiting for its matches. */
    async eraseSubject(db: Db, subjectId: string): Promise<Record<string, number>> {
      const matches = await t(db)
        .deleteFrom('cleanroom_matches')
        .where('subject_id', '=', subjectId)
        .executeTakeFirst()
      const pending = await t(db)
        .deleteFrom('cleanroom_pending')
        .where('subject_id', '=', subjectId)
        .executeTakeFirst()
      return {
        cleanroomMatches: Number(matches.numDeletedRows),
        cleanroomPending: Number(pending.numDeletedRows),
      }
    },

    /**
     * Deletes every upload whose retention ended, with all its rows: past its own expiry, or made
     * before `createdBefore` (the charter's retention now, should it have been shortened since).
     */
    async deleteExpired(
      db: Db,
      now: string,
      createdBefore: string,
    ): Promise<Record<string, number>> {
      const expired = await t(db)
        .selectFrom('cleanroom_uploads')
        .select('id')
        .where((eb) => eb.or([eb('expires_at', '<=', now), eb('created_at', '<=', createdBefore)]))
        .execute()
      const ids = expired.map((r) => r.id)
      const counts = { cleanroomUploads: 0, cleanroomMatches: 0 }
      for (const part of chunks(ids)) {
        const matches = await t(db)
          .deleteFrom('cleanroom_matches')
          .where('upload_id', 'in', part)
          .executeTakeFirst()
        await t(db).deleteFrom('cleanroom_pending').where('upload_id', 'in', part).execute()
        await t(db).deleteFrom('cleanroom_partner_values').where('upload_id', 'in', part).execute()
        const uploads = await t(db)
          .deleteFrom('cleanroom_uploads')
          .where('id', 'in', part)
          .executeTakeFirst()
        counts.cleanroomMatches += Number(matches.numDeletedRows)
        counts.cleanroomUploads += Number(uploads.numDeletedRows)
      }
      return counts
    },
  }
}
