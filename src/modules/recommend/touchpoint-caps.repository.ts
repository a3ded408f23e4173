import { sql } from 'kysely'
import type { Db } from '../../storage/db.js'

/** The touchpoint counters (migration 0017), written only through this repository. */
export type TouchpointCountTables = {
  touchpoint_counts: {
    owner: string
    touchpoint: string
    window_start: string
    resets_at: string
    served: number
    last_claim: number
  }
}

const t = (db: Db) => db.withTables<TouchpointCountTables>()

/**
 * Counters of a touchpoint per owner and cap window. No in-memory copy announced through `ChangeFeed` is
 * made from them (the caps keep their own claims), so writes announce nothing.
 */
const touchpointCounts = {
  /**
   * Claims up to `block` more times the touchpoint may reach `owner` in the window, never past `max`:
   * at most a quarter of what is left (at least one), so the processes sharing the database hold few
   * claimed times unused. One statement (insert, or add where under `max`), so concurrent claims of any
   * number of processes never count past the cap. Answers how many times were claimed (0: used up).
   */
  async claim(
    db: Db,
    row: { owner: string; touchpoint: string; windowStart: string; resetsAt: string },
    max: number,
    block: number,
  ): Promise<number> {
    const first = Math.min(block, Math.ceil(max / 4))
    // The SET expressions all read the row as it was (standard SQL; both engines): `last_claim` is
    // the size of this claim, worked out from the old `served`.
    // Integer literals (whole numbers the charter validated), so that both engines divide as integers
    // (better-sqlite3 binds a JavaScript number as a real).
    const left = sql<number>`(${sql.lit(max)} - touchpoint_counts.served)`
    const size = sql<number>`case when ${left} >= ${sql.lit(4 * block)} then ${sql.lit(block)} else (${left} + 3) / 4 end`
    const claimed = await t(db)
      .insertInto('touchpoint_counts')
      .values({
        owner: row.owner,
        touchpoint: row.touchpoint,
        window_start: row.windowStart,
        resets_at: row.resetsAt,
        served: first,
        last_claim: first,
      })
      .onConflict((oc) =>
        oc
          .columns(['owner', 'touchpoint', 'window_start'])
          .doUpdateSet({
            served: sql<number>`touchpoint_counts.served + ${size}`,
            last_claim: size,
          })
          .where('touchpoint_counts.served', '<', sql.lit(max)),
      )
      .returning('last_claim')
      .executeTakeFirst()
    return claimed?.last_claim ?? 0
  },

  /** Every counter of an owner (access). */
  async listOwner(
    db: Db,
    owner: string,
  ): Promise<{ touchpoint: string; windowStart: string; resetsAt: string; counted: number }[]> {
    const rows = await t(db)
      .selectFrom('touchpoint_counts')
      .select(['touchpoint', 'window_start', 'resets_at', 'served'])
      .where('owner', '=', owner)
      .orderBy('window_start')
      .orderBy('touchpoint')
      .execute()
    return rows.map((r) => ({
      touchpoint: r.touchpoint,
      windowStart: r.window_start,
      resetsAt: r.resets_at,
      counted: r.served,
    }))
  },

  /** Every counter of an owner (erasure). */
  async deleteOwner(db: Db, owner: string): Promise<number> {
    const result = await t(db)
      .deleteFrom('touchpoint_counts')
      .where('owner', '=', owner)
      .executeTakeFirst()
    return Number(result.numDeletedRows)
  },

  /** Counters of windows that ended by `now` (retention). */
  async deleteEnded(db: Db, now: string): Promise<number> {
    const result = await t(db)
      .deleteFrom('touchpoint_counts')
      .where('resets_at', '<=', now)
      .executeTakeFirst()
    return Number(result.numDeletedRows)
  },
}

/** The touchpoint counters' repository (its functions take `db` first, as every repository's do). */
export function createTouchpointCountRepository() {
  return touchpointCounts
}
