import { sql } from 'kysely'
import type { ChangeFeed } from '../../storage/changes.js'
import type { Db } from '../../storage/db.js'
import { ownerWrites } from '../../storage/owner-writes.js'
import { METRICS, type ArmOut, type ExperimentDefinition, type Metric } from './experiments.js'

/**
 * The experiments tables (migrations 0028, 0032). Of `experiments`, what assignment needs of the
 * running ones is copied in memory (`experiments.cache.ts`), so its writes announce `EXPERIMENTS_OWNER`;
 * enrolments and exposures are read from the database every time.
 */
type ExperimentTables = {
  experiments: {
    id: string
    name: string
    status: string
    stage: number
    key_id: string
    definition: string
    looks: string
    history: string
    stopped_reason: string | null
    created_at: string
    updated_at: string
  }
  experiment_enrolments: {
    owner: string
    experiment_id: string
    variant: number
    stage: number
    viewed: number
    basketed: number
    purchased: number
    not_this: number
    creepy: number
    enrolled_at: string
  }
  experiment_exposures: {
    owner: string
    recomm_id: string
    experiment_id: string
    variant: number
    created_at: string
  }
}

export interface ExperimentRow {
  id: string
  name: string
  status: string
  stage: number
  keyId: string
  definition: string
  looks: string
  /** The sequential test's state at each look (JSON, `experiments.history.ts`). */
  history: string
  stoppedReason: string | null
  createdAt: string
  updatedAt: string
}

/**
 * The owner key the writes of `experiments` announce (the table has no owner: one key stands for all
 * of it). Not a subject id, session key or lookup hash, which are prefixed otherwise.
 */
export const EXPERIMENTS_OWNER = 'table:experiments'

/** What assigning a shopper to a running experiment needs, and no more (no looks, no history). */
export interface RunningExperiment {
  readonly id: string
  /** The pseudonym key the assignment hash is derived from. */
  readonly keyId: string
  readonly stage: number
  readonly target: ExperimentDefinition['target']
  /** The charter purpose eligibility is decided for. */
  readonly purpose: ExperimentDefinition['purpose']
  /** The share of units enrolled at this stage. */
  readonly exposure: number
  readonly variants: ExperimentDefinition['variants']
}

/** A shopper's variant of an experiment, as enrolments and exposures store it (index 0: control). */
interface VariantOf {
  owner: string
  experimentId: string
  variant: number
  at: string
}

export interface EnrolmentRow {
  experimentId: string
  variant: number
  stage: number
  enrolledAt: string
  metrics: Metric[]
}

/** The column of each metric's "counted once" flag. */
const COLUMN = {
  view: 'viewed',
  basket: 'basketed',
  purchase: 'purchased',
  not_this: 'not_this',
  creepy: 'creepy',
} as const satisfies Record<Metric, string>

const announceExperiments = () => [EXPERIMENTS_OWNER]

function toRow(r: ExperimentTables['experiments']): ExperimentRow {
  return {
    id: r.id,
    name: r.name,
    status: r.status,
    stage: Number(r.stage),
    keyId: r.key_id,
    definition: r.definition,
    looks: r.looks,
    history: r.history,
    stoppedReason: r.stopped_reason,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  }
}

function variantColumns(row: VariantOf) {
  return { owner: row.owner, experiment_id: row.experimentId, variant: row.variant }
}

function toRunning(
  r: Pick<ExperimentTables['experiments'], 'id' | 'key_id' | 'stage' | 'definition'>,
) {
  const d = JSON.parse(r.definition) as ExperimentDefinition
  const stage = Number(r.stage)
  return Object.freeze({
    id: r.id,
    keyId: r.key_id,
    stage,
    target: d.target,
    purpose: d.purpose,
    exposure: d.stages[stage] ?? 0,
    variants: d.variants,
  }) satisfies RunningExperiment
}

export type ExperimentsRepository = ReturnType<typeof createExperimentsRepository>

/**
 * The experiments module's SQL; every function takes the database or a transaction first. The writes
 * of `experiments` are made with `write` (`owner-writes.ts`) and announce `EXPERIMENTS_OWNER`, so the
 * copy of the running experiments, here and in every other process, never outlives a change.
 */
export function createExperimentsRepository(changes: ChangeFeed) {
  const t = (db: Db) => db.withTables<ExperimentTables>()
  const write = ownerWrites(changes)
  return {
    insertExperiment: write(async (db: Db, row: ExperimentRow): Promise<void> => {
      await t(db)
        .insertInto('experiments')
        .values({
          id: row.id,
          name: row.name,
          status: row.status,
          stage: row.stage,
          key_id: row.keyId,
          definition: row.definition,
          looks: row.looks,
          history: row.history,
          stopped_reason: row.stoppedReason,
          created_at: row.createdAt,
          updated_at: row.updatedAt,
        })
        .execute()
    }, announceExperiments),

    async findExperiment(db: Db, id: string): Promise<ExperimentRow | undefined> {
      const r = await t(db)
        .selectFrom('experiments')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirst()
      return r === undefined ? undefined : toRow(r)
    },

    /** The running experiments, oldest first: only what assignment needs (see `RunningExperiment`). */
    async listRunning(db: Db): Promise<readonly RunningExperiment[]> {
      const rows = await t(db)
        .selectFrom('experiments')
        .select(['id', 'key_id', 'stage', 'definition'])
        .where('status', '=', 'running')
        .orderBy('created_at')
        .orderBy('id')
        .execute()
      return Object.freeze(rows.map(toRunning))
    },

    async listExperiments(db: Db): Promise<ExperimentRow[]> {
      const rows = await t(db)
        .selectFrom('experiments')
        .selectAll()
        .orderBy('created_at', 'desc')
        .execute()
      return rows.map(toRow)
    },

    /** Moves a running experiment on (stage, status, looks) only if nobody else moved it first. */
    updateExperiment: write(
      async (
        db: Db,
        id: string,
        expected: { status: string; stage: number },
        next: {
          status: string
          stage: number
          looks: string
          history: string
          stoppedReason: string | null
          updatedAt: string
        },
      ): Promise<boolean> => {
        const result = await t(db)
          .updateTable('experiments')
          .set({
            status: next.status,
            stage: next.stage,
            looks: next.looks,
            history: next.history,
            stopped_reason: next.stoppedReason,
            updated_at: next.updatedAt,
          })
          .where('id', '=', id)
          .where('status', '=', expected.status)
          .where('stage', '=', expected.stage)
          .executeTakeFirst()
        return Number(result.numUpdatedRows) === 1
      },
      (moved) => (moved ? [EXPERIMENTS_OWNER] : []),
    ),

    async findEnrolment(db: Db, owner: string, experimentId: string) {
      return t(db)
        .selectFrom('experiment_enrolments')
        .select(['variant', 'stage'])
        .where('owner', '=', owner)
        .where('experiment_id', '=', experimentId)
        .executeTakeFirst()
    },

    /** Records an enrolment once; a second call for the same shopper and experiment changes nothing. */
    async enrol(db: Db, row: VariantOf & { stage: number }): Promise<void> {
      await t(db)
        .insertInto('experiment_enrolments')
        .values({
          ...variantColumns(row),
          stage: row.stage,
          viewed: 0,
          basketed: 0,
          purchased: 0,
          not_this: 0,
          creepy: 0,
          enrolled_at: row.at,
        })
        .onConflict((oc) => oc.columns(['owner', 'experiment_id']).doNothing())
        .execute()
    },

    /**
     * Marks a metric as reached for a shopper in every experiment they were enrolled in by `at` (all of
     * them without `at`, or only `experimentId`'s).
     */
    async markOutcome(
      db: Db,
      owner: string,
      metric: Metric,
      only: { experimentId?: string; at?: string } = {},
    ): Promise<number> {
      let query = t(db)
        .updateTable('experiment_enrolments')
        .set({ [COLUMN[metric]]: 1 })
        .where('owner', '=', owner)
        .where(COLUMN[metric], '=', 0)
      if (only.experimentId !== undefined)
        query = query.where('experiment_id', '=', only.experimentId)
      if (only.at !== undefined) query = query.where('enrolled_at', '<=', only.at)
      const result = await query.executeTakeFirst()
      return Number(result.numUpdatedRows)
    },

    /** Remembers which experiment and variant shaped an answer, under its owner. */
    async insertExposure(db: Db, row: VariantOf & { recommId: string }): Promise<void> {
      await t(db)
        .insertInto('experiment_exposures')
        .values({
          ...variantColumns(row),
          recomm_id: row.recommId,
          created_at: row.at,
        })
        .onConflict((oc) => oc.columns(['owner', 'recomm_id']).doNothing())
        .execute()
    },

    /** The exposures of these answers: whose they were and which experiment shaped them. */
    async findExposures(
      db: Db,
      recommIds: readonly string[],
    ): Promise<{ recommId: string; owner: string; experimentId: string }[]> {
      const out: { recommId: string; owner: string; experimentId: string }[] = []
      for (let k = 0; k < recommIds.length; k += 500) {
        const rows = await t(db)
          .selectFrom('experiment_exposures')
          .select(['recomm_id', 'owner', 'experiment_id'])
          .where('recomm_id', 'in', recommIds.slice(k, k + 500))
          .execute()
        for (const r of rows)
          out.push({ recommId: r.recomm_id, owner: r.owner, experimentId: r.experiment_id })
      }
      return out
    },

    async countExposures(db: Db, owner: string): Promise<number> {
      const row = await t(db)
        .selectFrom('experiment_exposures')
        .select((eb) => eb.fn.countAll<string | number>().as('n'))
        .where('owner', '=', owner)
        .executeTakeFirst()
      return Number(row?.n ?? 0)
    },

    async deleteExposures(db: Db, owner: string): Promise<number> {
      const result = await t(db)
        .deleteFrom('experiment_exposures')
        .where('owner', '=', owner)
        .executeTakeFirst()
      return Number(result.numDeletedRows)
    },

    async deleteExposuresBefore(db: Db, before: string): Promise<number> {
      const result = await t(db)
        .deleteFrom('experiment_exposures')
        .where('created_at', '<', before)
        .executeTakeFirst()
      return Number(result.numDeletedRows)
    },

    /** Units and metric counts per variant index. */
    async countArms(db: Db, experimentId: string, variants: readonly string[]): Promise<ArmOut[]> {
      const rows = await t(db)
        .selectFrom('experiment_enrolments')
        .select((eb) => [
          'variant',
          eb.fn.countAll<string | number>().as('units'),
          sql<string | number>`sum(viewed)`.as('view'),
          sql<string | number>`sum(basketed)`.as('basket'),
          sql<string | number>`sum(purchased)`.as('purchase'),
          sql<string | number>`sum(not_this)`.as('not_this'),
          sql<string | number>`sum(creepy)`.as('creepy'),
        ])
        .where('experiment_id', '=', experimentId)
        .groupBy('variant')
        .execute()
      const byVariant = new Map(rows.map((r) => [Number(r.variant), r]))
      return variants.map((name, i) => {
        const r = byVariant.get(i)
        const counts = Object.fromEntries(
          METRICS.map((m) => [m, r === undefined ? 0 : Number(r[m] ?? 0)]),
        ) as Record<Metric, number>
        return { variant: name, units: r === undefined ? 0 : Number(r.units), counts }
      })
    },

    async listEnrolments(db: Db, owner: string): Promise<EnrolmentRow[]> {
      const rows = await t(db)
        .selectFrom('experiment_enrolments')
        .selectAll()
        .where('owner', '=', owner)
        .orderBy('enrolled_at')
        .execute()
      return rows.map((r) => ({
        experimentId: r.experiment_id,
        variant: Number(r.variant),
        stage: Number(r.stage),
        enrolledAt: r.enrolled_at,
        metrics: METRICS.filter((m) => Number(r[COLUMN[m]]) === 1),
      }))
    },

    async deleteEnrolments(db: Db, owner: string): Promise<number> {
      const result = await t(db)
        .deleteFrom('experiment_enrolments')
        .where('owner', '=', owner)
        .executeTakeFirst()
      return Number(result.numDeletedRows)
    },
  }
}
