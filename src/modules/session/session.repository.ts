import type { ChangeFeed } from '../../storage/changes.js'
import type { Db } from '../../storage/db.js'
import { ownerWrites } from '../../storage/owner-writes.js'
import type { SessionRow } from './session.js'

// The table keeps the name migration 0004 gave it (when sessions lived in the events module).
type SessionTables = {
  event_sessions: { session_key: string; started_at: string; expires_at: string }
}

/**
 * The `event_sessions` table. Every write is made with `write` (`owner-writes.ts`), naming the session
 * it touched.
 */
export function createSessionRepository(changes: ChangeFeed) {
  const t = (db: Db) => db.withTables<SessionTables>()
  const write = ownerWrites(changes)
  return {
    async findSessions(db: Db, keys: readonly string[]): Promise<Map<string, SessionRow>> {
      if (keys.length === 0) return new Map()
      const rows = await t(db)
        .selectFrom('event_sessions')
        .selectAll()
        .where('session_key', 'in', keys)
        .execute()
      return new Map(
        rows.map((r) => [
          r.session_key,
          { sessionKey: r.session_key, startedAt: r.started_at, expiresAt: r.expires_at },
        ]),
      )
    },

    insertSession: write(
      async (db: Db, row: SessionRow): Promise<void> => {
        await t(db)
          .insertInto('event_sessions')
          .values({
            session_key: row.sessionKey,
            started_at: row.startedAt,
            expires_at: row.expiresAt,
          })
          .onConflict((oc) => oc.column('session_key').doNothing())
          .execute()
      },
      (_, row) => [row.sessionKey],
    ),

    deleteSession: write(
      async (db: Db, sessionKey: string): Promise<number> => {
        const result = await t(db)
          .deleteFrom('event_sessions')
          .where('session_key', '=', sessionKey)
          .executeTakeFirst()
        return Number(result.numDeletedRows)
      },
      (_, sessionKey) => [sessionKey],
    ),

    async listExpiredSessions(db: Db, now: string, limit: number): Promise<string[]> {
      const rows = await t(db)
        .selectFrom('event_sessions')
        .select('session_key')
        .where('expires_at', '<=', now)
        .orderBy('session_key')
        .limit(limit)
        .execute()
      return rows.map((r) => r.session_key)
    },
  }
}

export type SessionRepository = ReturnType<typeof createSessionRepository>
