import { sql } from 'kysely'
import { type Db, dialectOf } from '../../storage/db.js'

type JobsTables = {
  jobs: {
    kind: string
    /** Empty for a recurring job; a one-off job's key (a rights request's id, say). */
    job_key: string
    due_at: string | null
    /** `formatHolder` of the process holding the lease; null with no lease. */
    lease_holder: string | null
    lease_until: string | null
    runs: number
    failures: number
    last_started_at: string | null
    last_finished_at: string | null
    last_error: string | null
  }
}

type Row = JobsTables['jobs']

export interface StoredJob {
  kind: string
  key: string
  dueAt: string | null
  leaseHolder: string | null
  leaseUntil: string | null
  runs: number
  failures: number
  lastStartedAt: string | null
  lastFinishedAt: string | null
  lastError: string | null
}

function toJob(row: Row): StoredJob {
  return {
    kind: row.kind,
    key: row.job_key,
    dueAt: row.due_at,
    leaseHolder: row.lease_holder,
    leaseUntil: row.lease_until,
    runs: row.runs,
    failures: row.failures,
    lastStartedAt: row.last_started_at,
    lastFinishedAt: row.last_finished_at,
    lastError: row.last_error,
  }
}

/** What a claim writes: who takes the lease, the time now and until when the lease holds. */
export interface LeaseTerms {
  holder: string
  now: string
  until: string
}

/** A job taken: which one, and its failures since the last success (for the back-off). */
export interface ClaimedJob {
  kind: string
  key: string
  failures: number
}

/**
 * The job table's SQL (migration 0019). A lease is free when it has no holder or its time has passed;
 * every claim is one conditional write, so of two processes claiming together exactly one wins: on
 * PostgreSQL a due row is picked with `FOR UPDATE SKIP LOCKED` (a row another process is claiming is
 * passed over, not waited for), on SQLite (one writer at a time) by an UPDATE whose WHERE repeats the
 * test. Every write after the claim names the holder, so a process that lost its lease changes nothing.
 */
export function createJobsRepository() {
  const t = (db: Db) => db.withTables<JobsTables>()
  const free = (now: string) =>
    sql<boolean>`(lease_until is null or lease_until < ${now})`.$castTo<boolean>()

  /**
   * Takes one job's lease, due or not: when it is free, or when `deadHolder` (a holder the caller
   * proved dead) still holds it, so of two processes reclaiming it together only one wins.
   */
  async function claim(
    db: Db,
    kind: string,
    key: string,
    terms: LeaseTerms,
    deadHolder?: string,
  ): Promise<ClaimedJob | undefined> {
    const row = await t(db)
      .updateTable('jobs')
      .set({ lease_holder: terms.holder, lease_until: terms.until, last_started_at: terms.now })
      .where('kind', '=', kind)
      .where('job_key', '=', key)
      .where((eb) =>
        deadHolder === undefined
          ? free(terms.now)
          : eb.or([free(terms.now), eb('lease_holder', '=', deadHolder)]),
      )
      .returning(['kind', 'job_key', 'failures'])
      .executeTakeFirst()
    return row === undefined
      ? undefined
      : { kind: row.kind, key: row.job_key, failures: row.failures }
  }

  return {
    /**
     * Adds the job's row with its lease already taken, so no other process can take it first; undefined
     * (and nothing changed) when the row is there already.
     */
    async insertClaimed(
      db: Db,
      kind: string,
      key: string,
      dueAt: string,
      terms: LeaseTerms,
    ): Promise<ClaimedJob | undefined> {
      const row = await t(db)
        .insertInto('jobs')
        .values({
          kind,
          job_key: key,
          due_at: dueAt,
          lease_holder: terms.holder,
          lease_until: terms.until,
          last_started_at: terms.now,
          runs: 0,
          failures: 0,
        })
        .onConflict((oc) => oc.columns(['kind', 'job_key']).doNothing())
        .returning(['failures'])
        .executeTakeFirst()
      return row === undefined ? undefined : { kind, key, failures: row.failures }
    },

    /** Adds the job's row unless there is one (then nothing changes). */
    async ensure(db: Db, kind: string, key: string, dueAt: string | null): Promise<void> {
      await t(db)
        .insertInto('jobs')
        .values({ kind, job_key: key, due_at: dueAt, runs: 0, failures: 0 })
        .onConflict((oc) => oc.columns(['kind', 'job_key']).doNothing())
        .execute()
    },

    claim,

    /** Takes the lease of the job of one of `kinds` due longest ago whose lease is free. */
    async claimDue(
      db: Db,
      kinds: readonly string[],
      terms: LeaseTerms,
    ): Promise<ClaimedJob | undefined> {
      if (kinds.length === 0) return undefined
      const due = (executor: Db) =>
        t(executor)
          .selectFrom('jobs')
          .select(['kind', 'job_key'])
          .where('kind', 'in', kinds)
          .where('due_at', '<=', terms.now)
          .where(free(terms.now))
          .orderBy('due_at')
      if (dialectOf(db) === 'postgres') {
        // A short transaction: the row is locked from the SELECT to the commit, so a second process's
        // SELECT skips it (and takes the next due one) instead of waiting to find it taken.
        return db.transaction().execute(async (trx) => {
          const row = await due(trx).limit(1).forUpdate().skipLocked().executeTakeFirst()
          if (row === undefined) return undefined
          return claim(trx, row.kind, row.job_key, terms)
        })
      }
      for (const row of await due(db).limit(10).execute()) {
        const claimed = await claim(db, row.kind, row.job_key, terms)
        if (claimed !== undefined) return claimed
      }
      return undefined
    },

    /** Moves a held lease on; false when the holder no longer holds it (it ran out and was taken). */
    async renew(
      db: Db,
      kind: string,
      key: string,
      holder: string,
      until: string,
    ): Promise<boolean> {
      const result = await t(db)
        .updateTable('jobs')
        .set({ lease_until: until })
        .where('kind', '=', kind)
        .where('job_key', '=', key)
        .where('lease_holder', '=', holder)
        .executeTakeFirst()
      return Number(result.numUpdatedRows) > 0
    },

    /** Leases that still hold at `now`, with their holder (to find the ones held by dead processes). */
    async liveLeases(
      db: Db,
      now: string,
    ): Promise<{ kind: string; key: string; holder: string }[]> {
      const rows = await t(db)
        .selectFrom('jobs')
        .select(['kind', 'job_key', 'lease_holder'])
        .where('lease_until', '>=', now)
        .where('lease_holder', 'is not', null)
        .execute()
      return rows.map((r) => ({ kind: r.kind, key: r.job_key, holder: r.lease_holder! }))
    },

    /** Frees a lease, if `holder` still holds it (a holder proved dead, or this process at its end). */
    async release(db: Db, kind: string, key: string, holder: string): Promise<boolean> {
      const result = await t(db)
        .updateTable('jobs')
        .set({ lease_holder: null, lease_until: null })
        .where('kind', '=', kind)
        .where('job_key', '=', key)
        .where('lease_holder', '=', holder)
        .executeTakeFirst()
      return Number(result.numUpdatedRows) > 0
    },

    /**
     * A run that succeeded: the lease is given up, the failures forgotten and the job due again at
     * `nextDueAt`; a one-off job (`nextDueAt` null) is deleted.
     */
    async succeeded(
      db: Db,
      kind: string,
      key: string,
      holder: string,
      at: { now: string; nextDueAt: string | null },
    ): Promise<void> {
      if (at.nextDueAt === null) {
        await t(db)
          .deleteFrom('jobs')
          .where('kind', '=', kind)
          .where('job_key', '=', key)
          .where('lease_holder', '=', holder)
          .execute()
        return
      }
      await t(db)
        .updateTable('jobs')
        .set({
          lease_holder: null,
          lease_until: null,
          due_at: at.nextDueAt,
          runs: sql<number>`runs + 1`,
          failures: 0,
          last_finished_at: at.now,
          last_error: null,
        })
        .where('kind', '=', kind)
        .where('job_key', '=', key)
        .where('lease_holder', '=', holder)
        .execute()
    },

    /** A run that threw: the lease is given up, the error kept, and the job tried again at `nextDueAt`. */
    async failed(
      db: Db,
      kind: string,
      key: string,
      holder: string,
      at: { now: string; nextDueAt: string; error: string },
    ): Promise<void> {
      await t(db)
        .updateTable('jobs')
        .set({
          lease_holder: null,
          lease_until: null,
          due_at: at.nextDueAt,
          runs: sql<number>`runs + 1`,
          failures: sql<number>`failures + 1`,
          last_finished_at: at.now,
          last_error: at.error.slice(0, 500),
        })
        .where('kind', '=', kind)
        .where('job_key', '=', key)
        .where('lease_holder', '=', holder)
        .execute()
    },

    async find(db: Db, kind: string, key: string): Promise<StoredJob | undefined> {
      const row = await t(db)
        .selectFrom('jobs')
        .selectAll()
        .where('kind', '=', kind)
        .where('job_key', '=', key)
        .executeTakeFirst()
      return row === undefined ? undefined : toJob(row)
    },

    /** Every job, recurring ones first, for staff (at most `limit`). */
    async list(db: Db, limit: number): Promise<StoredJob[]> {
      const rows = await t(db)
        .selectFrom('jobs')
        .selectAll()
        .orderBy('job_key')
        .orderBy('kind')
        .limit(limit)
        .execute()
      return rows.map(toJob)
    },
  }
}

export type JobsRepository = ReturnType<typeof createJobsRepository>
