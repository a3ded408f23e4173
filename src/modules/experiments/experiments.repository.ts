import { sql } from 'kysely'
import type { Db } from '../../storage/db.js'
import { METRICS, type ArmOut, type Metric } from './experiments.js'

/** The experiments tables (migrations 0028, 0032). No copy is made of them: every read goes to the database. */
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

export type ExperimentsRepository = ReturnType<typeof createExperimentsRepository>

/** The experiments module's SQL; every function takes the database or a transaction first. */
export function createExperimentsRepository() {
  const t = (db: Db) => db.withTables<ExperimentTables>()
  return {
    async insertExperiment(db: Db, row: ExperimentRow): Promise<void> {
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
    },

    async findExperiment(db: Db, id: string): Promise<ExperimentRow | undefined> {
      const r = await t(db)
        .selectFrom('experiments')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirst()
      return r === undefined ? undefined : toRow(r)
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
    async updateExperiment(
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
    ): Promise<boolean> {
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

    async findEnrolment(db: Db, owner: string, experimentId: string) {
      return t(db)
        .selectFrom('experiment_enrolments')
        .select(['variant', 'stage'])
        .where('owner', '=', owner)
        .where('experiment_id', '=', experimentId)
        .executeTakeFirst()
    },

    /** Records an enrolment once; a second call for the same shopper and experiment changes nothing. */
    async enrol(
      db: Db,
      row: { owner: string; experimentId: string; variant: number; stage: number; at: string },
    ): Promise<void> {
      await t(db)
        .insertInto('experiment_enrolments')
        .values({
          owner: row.owner,
          experiment_id: row.experimentId,
          variant: row.variant,
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
    async insertExposure(
      db: Db,
      row: { owner: string; recommId: string; experimentId: string; variant: number; at: string },
    ): Promise<void> {
      await t(db)
        .insertInto('experiment_exposures')
        .values({
          owner: row.owner,
          recomm_id: row.recommId,
          experiment_id: row.experimentId,
          variant: row.variant,
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
