import type { ChangeFeed } from './changes.js'
import type { Db } from './db.js'

/**
 * The one way a repository writes an owner's rows (a subject's or a session's): `write(run, touched)`
 * makes a repository function that runs `run` and then announces to the `ChangeFeed` the owners that
 * `touched` names, so the in-memory copies of those owners' rows (each module's `<module>.cache.ts`)
 * never outlive the rows. A write cannot be made without saying whom it touched (`[]` when it touched
 * nobody's rows, `EVERY_OWNER` for a sweep by date); `test/owner-writes.test.ts` reads every module's
 * sources and fails on a write statement to an owner's table outside `write`, and runs every such write
 * to see that it announces the owner whose rows it changed.
 *
 * The announcement comes once the statements ran, inside the caller's transaction, as the copies need
 * (see `ChangeFeed`: a read in flight is not kept; on SQLite a later read waits for the transaction).
 * On PostgreSQL the same owners go to the other processes by `pg_notify` on the same `db`, so inside
 * the caller's transaction: delivered on commit, never after a rollback. A write that throws announces
 * nothing: its transaction rolls back, and the rows stay as copied.
 *
 * @example
 *   const write = ownerWrites(changes)
 *   const repo = {
 *     deleteSession: write(
 *       async (db: Db, sessionKey: string) => del(db, sessionKey),
 *       (_deleted, sessionKey) => [sessionKey],
 *     ),
 *   }
 */
export type WriteOf = <A extends unknown[], R>(
  run: (db: Db, ...args: A) => Promise<R>,
  touched: (result: R, ...args: A) => Touched,
) => OwnerWrite<A, R>

/** Rows of owners not named were written (a retention sweep by date): every copy goes. */
export const EVERY_OWNER: unique symbol = Symbol('every owner')

/** Whose rows a write touched: owner ids (subject ids, session keys, a lookup hash), or every owner. */
export type Touched = readonly string[] | typeof EVERY_OWNER

const ANNOUNCES: unique symbol = Symbol('announces the owners it touched')

/** A repository function made by `write`: it announces the owners it touched. */
export type OwnerWrite<A extends unknown[], R> = ((db: Db, ...args: A) => Promise<R>) & {
  readonly [ANNOUNCES]: true
}

/** `write` for one storage's change feed. */
export function ownerWrites(changes: ChangeFeed): WriteOf {
  return <A extends unknown[], R>(
    run: (db: Db, ...args: A) => Promise<R>,
    touched: (result: R, ...args: A) => Touched,
  ): OwnerWrite<A, R> => {
    const announced = async (db: Db, ...args: A): Promise<R> => {
      const result = await run(db, ...args)
      const owners = touched(result, ...args)
      if (owners !== EVERY_OWNER && owners.length === 0) return result
      if (owners === EVERY_OWNER) changes.everything()
      else changes.owners(...owners)
      // Other processes hear of it on commit (PostgreSQL: NOTIFY in this transaction).
      const told = changes.notify(db, owners === EVERY_OWNER ? undefined : owners)
      if (told !== undefined) await told
      return result
    }
    return Object.assign(announced, { [ANNOUNCES]: true as const })
  }
}

/** Whether a repository's property is a write made by `write` (the test enumerates them by this). */
export function isOwnerWrite(value: unknown): value is OwnerWrite<unknown[], unknown> {
  return (
    typeof value === 'function' && (value as Partial<OwnerWrite<[], unknown>>)[ANNOUNCES] === true
  )
}

/**
 * Tables keyed by an owner (a `subject_id`, `owner` or `session_key` column) whose writes need not be
 * announced, because no in-memory copy is made of them; every other owner's table is written only
 * through `write`. A table added with an owner column is announced unless it is listed here with why.
 */
export const UNANNOUNCED_OWNER_TABLES: Readonly<Record<string, string>> = {
  audit_log: 'the append-only proof: read for audits and exports, never copied',
  rights_requests: 'read by the rights module from the database every time, never copied',
  recommend_forgotten:
    'the model reads it across processes on its own schedule (recommend/model.ts), not per owner',
  touchpoint_counts:
    'counted in the database (touchpoint-caps.ts); no copy is made of it (watched-writes.ts)',
  cleanroom_pending: 'the clean room reads it from the database every time, never copied',
  cleanroom_matches: 'the clean room reads it from the database every time, never copied',
  voice_entries: 'the voice module reads it from the database every time, never copied',
  assistant_turns: 'the assistant module reads it from the database every time, never copied',
  survey_impressions: 'the voice module reads it from the database every time, never copied',
  experiment_enrolments:
    'the experiments module reads it from the database every time, never copied',
  experiment_exposures:
    'the experiments module reads it from the database every time, never copied',
  vendor_outbox: 'the vendors module reads its outbox from the database every time, never copied',
  vendor_deliveries:
    'the vendors module reads its delivery log from the database every time, never copied',
  vendor_deletions: 'the vendors module reads it from the database every time, never copied',
}
