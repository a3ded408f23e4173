import type { ChangeFeed } from '../../storage/changes.js'
import type { Db } from '../../storage/db.js'
import type { SessionRow } from './session.js'

// The table keeps the name migration 0004 gave it (when sessions lived in the events module).
type SessionTables = {
  event_sessions: { session_key: string; started_at: string; expires_at: string }
}

/**
 * The `event_sessions` table. Every write names the session it touched to `changes` once it is done
 * (see `ChangeFeed`).
 */
export function createSessionRepository(changes: ChangeFeed) {
  const t = (db: Db) => db.withTables<SessionTables>()
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

    async insertSession(db: Db, row: SessionRow): Promise<void> {
      await t(db)
        .insertInto('event_sessions')
        .values({
          session_key: row.sessionKey,
          started_at: row.startedAt,
          expires_at: row.expiresAt,
        })
        .onConflict((oc) => oc.column('session_key').doNothing())
        .execute()
      changes.owners(row.sessionKey)
    },

    async deleteSession(db: Db, sessionKey: string): Promise<number> {
      const result = await t(db)
        .deleteFrom('event_sessions')
        .where('session_key', '=', sessionKey)
        .executeTakeFirst()
      changes.owners(sessionKey)
      return Number(result.numDeletedRows)
    },

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
