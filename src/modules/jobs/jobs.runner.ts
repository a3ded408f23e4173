import type { Clock } from '../../lib/clock.js'
import { AppError } from '../../lib/errors.js'
import type { Db } from '../../storage/db.js'
import {
  type LeaseHolder,
  currentHolder,
  formatHolder,
  isHolderDead,
  parseHolder,
} from './lease-holder.js'
import { type ClaimedJob, type StoredJob, createJobsRepository } from './jobs.repository.js'

/** A kind of job and what runs it. */
export interface JobDefinition {
  kind: string
  /**
   * A recurring job (one row, empty key) runs again this long after each success, and once at the first
   * start on a new database. Without it, the kind's jobs are one-off rows, each with its own key, added
   * by `runNow` and deleted when they succeed.
   */
  everyMs?: number
  /**
   * A recurring job's first run on a new database: this long after the first start (default 0: at
   * once). For a job whose run changes what shoppers see (prices), so that starting a server is not a
   * run of its own.
   */
  firstRunAfterMs?: number
  /** After a failure the job is tried again this long later, doubling per failure (default 30 s). */
  retryMs?: number
  run(key: string, lease: JobLease): Promise<void>
}

/** The lease a run holds, kept alive by the runner while the run works. */
export interface JobLease {
  /** True once a renewal found the lease taken by another process (this one stalled too long). */
  readonly lost: boolean
  /** Throws when the lease is lost, so that a run stops before its next step. */
  check(): void
}

export interface JobRunnerDeps {
  db: Db
  clock: Clock
  /** This process as a lease holder (by default the real one, see `lease-holder.ts`). */
  holder?: LeaseHolder
  /** How long a lease holds without renewal (default 6 s): a dead holder's job is taken over after it. */
  leaseMs?: number
  /** How often a run's lease is renewed (default 1.5 s). */
  renewMs?: number
  /** How often a started runner looks for due jobs and dead holders (default 1 s). */
  pollMs?: number
  /** A run that threw (its error is also kept in the job's row). */
  onError?: (kind: string, error: unknown) => void
}

/** A job as staff see it: no personal data (the holder is a machine and a process id). */
export interface JobView {
  kind: string
  /** A one-off job's key (a rights request's id); null for a recurring job. */
  key: string | null
  state: 'running' | 'failing' | 'due' | 'scheduled' | 'idle'
  dueAt: string | null
  lease: { host: string; pid: number; until: string } | null
  runs: number
  failures: number
  lastStartedAt: string | null
  lastFinishedAt: string | null
  lastError: string | null
}

const DEFAULT_RETRY_MS = 30_000
const MAX_BACKOFF_STEPS = 6
/** Jobs one process runs at once (a long training run must not hold up a rights request). */
const MAX_RUNNING = 4

/** What is kept of an error: its code or class and message, never its details or cause. */
function describeError(error: unknown): string {
  if (error instanceof AppError) return `${error.code}: ${error.message}`
  if (error instanceof Error) return `${error.name}: ${error.message}`
  return 'non-error thrown'
}

export class JobLeaseLostError extends Error {
  constructor(kind: string) {
    super(`the lease of job ${kind} was taken by another process`)
    this.name = 'JobLeaseLostError'
  }
}

/**
 * The background jobs of one process, run from the shared job table (`jobs.repository.ts`): any process
 * may run any due job. A run holds its job's lease and renews it every `renewMs`; when a process dies
 * mid-run its lease runs out after `leaseMs` and another process's runner takes the job over, and a
 * process on the same machine that can prove the holder dead (`isHolderDead`: a restart of it, or a
 * neighbour) takes it over at once. A run that throws keeps its error in the row and is tried again
 * later, backing off.
 *
 * @example
 *   const jobs = createJobRunner({ db, clock })
 *   jobs.define({ kind: 'retention', everyMs: 15 * 60_000, run: () => retention.run() })
 *   const started = await jobs.start()   // later: await started.stop()
 */
export function createJobRunner(deps: JobRunnerDeps) {
  const repo = createJobsRepository()
  const self = deps.holder ?? currentHolder()
  const holder = formatHolder(self)
  const leaseMs = deps.leaseMs ?? 6_000
  const renewMs = deps.renewMs ?? 1_500
  const pollMs = deps.pollMs ?? 1_000
  const kinds = new Map<string, JobDefinition>()
  const running = new Set<Promise<void>>()
  const iso = (ms = 0) => new Date(deps.clock.now().getTime() + ms).toISOString()
  const terms = () => ({ holder, now: iso(), until: iso(leaseMs) })
  let onError = deps.onError

  function definition(kind: string): JobDefinition {
    const found = kinds.get(kind)
    if (found === undefined) throw new Error(`no job of kind ${kind} is defined`)
    return found
  }

  /** Runs a claimed job under its lease, renewing it, and records how it ended. */
  async function execute(
    claimed: ClaimedJob,
    run: (lease: JobLease) => Promise<void>,
    rethrow: boolean,
  ): Promise<void> {
    const def = definition(claimed.kind)
    let lost = false
    const lease: JobLease = {
      get lost() {
        return lost
      },
      check() {
        if (lost) throw new JobLeaseLostError(claimed.kind)
      },
    }
    const renew = setInterval(() => {
      repo.renew(deps.db, claimed.kind, claimed.key, holder, iso(leaseMs)).then(
        (held) => {
          if (!held) {
            lost = true
            clearInterval(renew)
          }
        },
        // A failed renewal is retried on the next tick; the lease holds until it runs out.
        () => undefined,
      )
    }, renewMs)
    renew.unref()
    try {
      await run(lease)
      clearInterval(renew)
      await repo.succeeded(deps.db, claimed.kind, claimed.key, holder, {
        now: iso(),
        nextDueAt: def.everyMs === undefined ? null : iso(def.everyMs),
      })
    } catch (error) {
      clearInterval(renew)
      const backoff =
        (def.retryMs ?? DEFAULT_RETRY_MS) * 2 ** Math.min(claimed.failures, MAX_BACKOFF_STEPS)
      await repo.failed(deps.db, claimed.kind, claimed.key, holder, {
        now: iso(),
        nextDueAt: iso(Math.min(backoff, def.everyMs ?? Infinity)),
        error: describeError(error),
      })
      if (rethrow) throw error
      onError?.(claimed.kind, error)
    }
  }

  /** Frees every lease held by a process this one can prove dead (see `isHolderDead`). */
  async function releaseDead(): Promise<number> {
    let released = 0
    for (const lease of await repo.liveLeases(deps.db, iso())) {
      const other = parseHolder(lease.holder)
      if (other === undefined || !isHolderDead(other, self)) continue
      if (await repo.release(deps.db, lease.kind, lease.key, lease.holder)) released += 1
    }
    return released
  }

  function track(work: Promise<void>): Promise<void> {
    running.add(work)
    const done = () => void running.delete(work)
    // The caller handles the run's error (runNow's rethrows it); this chain must not be left rejected.
    work.then(done, done)
    return work
  }

  const runner = {
    /** This process as the job table names it. */
    holder,

    define(def: JobDefinition): void {
      kinds.set(def.kind, def)
    },

    /**
     * Runs one job now, due or not, under its lease (a one-off job's row is added first): `run`
     * replaces the kind's own function for this call. False when a live process holds the lease; a
     * dead holder's lease is taken over. A run that throws is recorded, retried later, and rethrown.
     */
    async runNow(
      kind: string,
      key = '',
      run?: (lease: JobLease) => Promise<void>,
    ): Promise<boolean> {
      const def = definition(kind)
      const dueAt = def.everyMs === undefined ? iso() : iso(def.everyMs)
      let claimed =
        (await repo.insertClaimed(deps.db, kind, key, dueAt, terms())) ??
        (await repo.claim(deps.db, kind, key, terms()))
      if (claimed === undefined) {
        const stored = await repo.find(deps.db, kind, key)
        const other = parseHolder(stored?.leaseHolder ?? null)
        if (other === undefined || !isHolderDead(other, self)) return false
        claimed = await repo.claim(deps.db, kind, key, terms(), stored!.leaseHolder!)
        if (claimed === undefined) return false
      }
      await track(execute(claimed, run ?? ((lease) => def.run(key, lease)), true))
      return true
    },

    /**
     * Claims one due job of a defined kind and starts it (without waiting for it); false when none is
     * due with a free lease.
     */
    async startDue(): Promise<boolean> {
      const claimed = await repo.claimDue(deps.db, [...kinds.keys()], terms())
      if (claimed === undefined) return false
      const def = definition(claimed.kind)
      void track(execute(claimed, (lease) => def.run(claimed.key, lease), false))
      return true
    },

    /** Waits for every run this process has under way. */
    async idle(): Promise<void> {
      while (running.size > 0) await Promise.allSettled([...running])
    },

    releaseDead,

    /**
     * Adds the rows of the recurring kinds (due now on a new database, or `firstRunAfterMs` later), then every `pollMs` frees the
     * leases of dead holders and starts the due jobs. `stop` ends the polling and waits for the runs
     * under way, which give up their leases as they end. `onError` hears of runs that threw.
     */
    async start(
      hooks: { onError?: (kind: string, error: unknown) => void } = {},
    ): Promise<{ stop(): Promise<void> }> {
      onError = hooks.onError ?? onError
      for (const def of kinds.values()) {
        if (def.everyMs !== undefined)
          await repo.ensure(deps.db, def.kind, '', iso(def.firstRunAfterMs ?? 0))
      }
      let stopped = false
      let timer: NodeJS.Timeout | undefined
      let polling: Promise<void> | undefined
      const poll = async () => {
        try {
          await releaseDead()
          while (!stopped && running.size < MAX_RUNNING && (await runner.startDue()));
        } catch (error) {
          onError?.('poll', error)
        }
      }
      const schedule = () => {
        if (stopped) return
        timer = setTimeout(() => {
          polling = poll().finally(schedule)
        }, pollMs)
        timer.unref()
      }
      polling = poll().finally(schedule)
      return {
        async stop() {
          stopped = true
          clearTimeout(timer)
          await polling
          await runner.idle()
        },
      }
    },

    /** Every job's state, for staff. */
    async list(limit = 200): Promise<JobView[]> {
      const now = iso()
      return (await repo.list(deps.db, limit)).map((job) => view(job, now))
    },
  }
  return runner
}

function view(job: StoredJob, now: string): JobView {
  const leased = job.leaseUntil !== null && job.leaseUntil >= now
  const holder = leased ? parseHolder(job.leaseHolder) : undefined
  return {
    kind: job.kind,
    key: job.key === '' ? null : job.key,
    state: leased
      ? 'running'
      : job.failures > 0
        ? 'failing'
        : job.dueAt === null
          ? 'idle'
          : job.dueAt <= now
            ? 'due'
            : 'scheduled',
    dueAt: job.dueAt,
    lease:
      holder === undefined ? null : { host: holder.host, pid: holder.pid, until: job.leaseUntil! },
    runs: job.runs,
    failures: job.failures,
    lastStartedAt: job.lastStartedAt,
    lastFinishedAt: job.lastFinishedAt,
    lastError: job.lastError,
  }
}

export type JobRunner = ReturnType<typeof createJobRunner>
