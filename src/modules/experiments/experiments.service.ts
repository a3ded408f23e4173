import type { Clock } from '../../lib/clock.js'
import { AppError } from '../../lib/errors.js'
import { newSortableId } from '../../lib/ids.js'
import type { ChangeFeed } from '../../storage/changes.js'
import type { Db } from '../../storage/db.js'
import type { Actor, AuditLog } from '../audit/index.js'
import { type Charter, findPurpose } from '../charter/index.js'
import type { ConsentService, RequestSignals } from '../consent/index.js'
import type { IdentityService, KeyringHolder } from '../identity/index.js'
import type { SessionService } from '../session/index.js'
import { assign, deriveAssignmentKey } from './experiments.assign.js'
import { describeVariant } from './experiments.describe.js'
import { decideEligibility } from './experiments.eligibility.js'
import {
  ExperimentInputSchema,
  type AssignmentOut,
  type Experiment,
  type ExperimentInput,
  type Metric,
  type Statistics,
  type StoppedReason,
} from './experiments.js'
import { createExperimentsCache } from './experiments.cache.js'
import {
  type ExperimentRow,
  type RunningExperiment,
  createExperimentsRepository,
} from './experiments.repository.js'
import { type OutcomeSources, attributeOutcomes } from './experiments.outcomes.js'
import {
  type LookPoint,
  type StepAction,
  decideStep,
  lookOf,
  parseHistory,
  withLook,
} from './experiments.rollout.js'
import { type Looks, computeStatistics } from './experiments.stats.js'

/** How far back each rollout run reads outcomes (marks are idempotent, so windows may overlap). */
export const OUTCOME_WINDOW_MS = 2 * 86_400_000
/** Answers a variant shaped are remembered this long (the answer log's 30 days). */
const EXPOSURE_DAYS = 30
const SYSTEM: Actor = { kind: 'system', name: 'experiments.rollout' }

export interface ExperimentsDeps {
  db: Db
  /** Keeps the copy of the running experiments in step with every process's writes. */
  changes: ChangeFeed
  clock: Clock
  keys: KeyringHolder
  charter: Charter
  audit: Pick<AuditLog, 'record'>
  identity: Pick<IdentityService, 'findSubjectId'>
  consent: Pick<ConsentService, 'contextFor' | 'getSettings' | 'decide'>
  session: Pick<SessionService, 'keyOf' | 'liveKey'>
  /** Where outcomes come from (recommend's attribution, voice's aspect tags); none: only `recordOutcome`. */
  outcomes?: OutcomeSources | undefined
}

export type ExperimentsService = ReturnType<typeof createExperimentsService>

export type RolloutAction = Exclude<StepAction, 'held'>

type NotEnrolled = Extract<AssignmentOut, { status: 'not_enrolled' }>['reason']

/** What enrolling a unit needs of an experiment. */
type Assignable = Pick<RunningExperiment, 'id' | 'keyId' | 'stage' | 'exposure' | 'variants'>

function toExperiment(row: ExperimentRow): Experiment {
  const d = JSON.parse(row.definition) as Omit<ExperimentInput, 'name'>
  return {
    id: row.id,
    name: row.name,
    status: row.status as Experiment['status'],
    target: d.target,
    purpose: d.purpose,
    variants: d.variants,
    primaryMetric: d.primaryMetric,
    guardrails: d.guardrails,
    stages: d.stages,
    stage: row.stage,
    exposure: d.stages[row.stage] ?? 0,
    alpha: d.alpha,
    plannedUnits: d.plannedUnits,
    stageHours: d.stageHours ?? 24,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    stoppedReason:
      row.stoppedReason === null ? null : (JSON.parse(row.stoppedReason) as StoppedReason),
  }
}

/**
 * Staged experiments: definitions, enrolment by keyed hash (`experiments.assign.ts`) of shoppers whose
 * consent allows it (`experiments.eligibility.ts`), outcomes counted once per enrolled shopper from
 * real events (`experiments.outcomes.ts`), and rollout steps (`experiments.rollout.ts`) that widen
 * exposure only while every guardrail holds and stop the experiment when one breaks. Only subjects'
 * enrolments are stored: a visit's assignment is recomputed each time (it is the same every time) and
 * nothing of it outlives the visit.
 */
export function createExperimentsService(deps: ExperimentsDeps) {
  const repo = createExperimentsCache(
    createExperimentsRepository(deps.changes),
    deps.changes,
    deps.db,
  )
  const derived = new Map<string, Buffer>()

  function assignmentKey(keyId: string): Buffer {
    let key = derived.get(keyId)
    if (key !== undefined) return key
    const entry =
      deps.keys.current().pseudonym.byId(keyId) ?? deps.keys.reload().pseudonym.byId(keyId)
    if (entry === undefined)
      throw new Error(`experiments: pseudonym key ${keyId} is not in the key file`)
    key = deriveAssignmentKey(entry.secret)
    derived.set(keyId, key)
    return key
  }

  async function load(id: string): Promise<ExperimentRow> {
    const row = await repo.findExperiment(deps.db, id)
    if (row === undefined)
      throw new AppError('not_found', 'No such experiment', { details: { id } })
    return row
  }

  async function statisticsOf(row: ExperimentRow, experiment: Experiment) {
    const arms = await repo.countArms(
      deps.db,
      row.id,
      experiment.variants.map((v) => v.name),
    )
    return computeStatistics(experiment, arms, JSON.parse(row.looks) as Looks)
  }

  /** Why a subject may not be enrolled for this purpose now (the one rule), or undefined. */
  async function subjectIneligible(
    subjectId: string,
    purpose: Experiment['purpose'],
    signals: RequestSignals,
  ): Promise<NotEnrolled | undefined> {
    const context = await deps.consent.contextFor(subjectId, signals)
    const settings = await deps.consent.getSettings(subjectId, signals)
    const decision = await deps.consent.decide(subjectId, purpose, signals)
    return decideEligibility({
      restricted: context.restricted === true,
      level: settings.level,
      decision,
    })
  }

  /** The variant index of an eligible unit, enrolling a subject on first assignment. */
  async function enrolUnit(
    experiment: Assignable,
    unit: { kind: 'subject' | 'session'; id: string },
  ): Promise<number | 'outside_rollout'> {
    if (unit.kind === 'subject') {
      // Once enrolled, the stored variant stands (even if the definition were to change).
      const stored = (await repo.findEnrolment(deps.db, unit.id, experiment.id))?.variant
      if (stored !== undefined) return stored
    }
    const weights = experiment.variants.map((v) => v.weight)
    const a = assign(
      assignmentKey(experiment.keyId),
      experiment.id,
      unit,
      experiment.exposure,
      weights,
    )
    if (!a.enrolled) return 'outside_rollout'
    if (unit.kind === 'subject') {
      await repo.enrol(deps.db, {
        owner: unit.id,
        experimentId: experiment.id,
        variant: a.variant,
        stage: experiment.stage,
        at: deps.clock.now().toISOString(),
      })
    }
    return a.variant
  }

  /**
   * One rollout step (`decideStep`): stop on a breached guardrail, else advance when asked (manual)
   * or when the stage has run its time (scheduled), else only look. Every step keeps the look for the
   * chart; only a change of status or stage is audited and moves `updatedAt`.
   */
  async function step(row: ExperimentRow, mode: 'manual' | 'scheduled', actor: Actor) {
    const experiment = toExperiment(row)
    if (experiment.status !== 'running') {
      throw new AppError('conflict', 'The experiment is stopped', { details: { id: row.id } })
    }
    const { statistics, looks } = await statisticsOf(row, experiment)
    const nowDate = deps.clock.now()
    const now = nowDate.toISOString()
    const { action, breached } = decideStep({
      experiment,
      statistics,
      mode,
      now: nowDate.getTime(),
    })
    const stoppedReason: StoppedReason | undefined =
      breached === undefined ? undefined : { kind: 'guardrail', at: now, guardrail: breached }
    const next = {
      status: action === 'stopped' ? 'stopped' : 'running',
      stage: action === 'advanced' ? row.stage + 1 : row.stage,
      stoppedReason: stoppedReason === undefined ? null : JSON.stringify(stoppedReason),
      looks: JSON.stringify(looks),
      history: JSON.stringify(
        withLook(parseHistory(row.history), lookOf(now, row.stage, statistics)),
      ),
      updatedAt: action === 'held' ? row.updatedAt : now,
    }
    await deps.db.transaction().execute(async (trx) => {
      const moved = await repo.updateExperiment(
        trx,
        row.id,
        { status: row.status, stage: row.stage },
        next,
      )
      if (!moved) throw new AppError('conflict', 'The experiment changed meanwhile; try again')
      if (action === 'held') return
      await deps.audit.record(trx, {
        actor,
        action: `experiment.${action}`,
        details: {
          experiment: row.id,
          stage: next.stage,
          ...(breached === undefined ? {} : { metric: breached.metric, variant: breached.variant }),
        },
      })
    })
    return { action, experiment: toExperiment({ ...row, ...next }), statistics }
  }

  return {
    async create(input: ExperimentInput, actor: Actor): Promise<Experiment> {
      const parsed = ExperimentInputSchema.parse(input)
      if (findPurpose(deps.charter, parsed.purpose) === undefined) {
        throw new AppError('validation_failed', 'The data charter declares no such purpose', {
          issues: [{ field: 'body.purpose', reason: 'not a purpose of the data charter' }],
        })
      }
      const now = deps.clock.now()
      const { name, ...definition } = parsed
      const row: ExperimentRow = {
        id: newSortableId('exp', now.getTime()),
        name,
        status: 'running',
        stage: 0,
        keyId: deps.keys.current().pseudonym.active.id,
        definition: JSON.stringify(definition),
        looks: '{}',
        history: '[]',
        stoppedReason: null,
        createdAt: now.toISOString(),
        updatedAt: now.toISOString(),
      }
      await deps.db.transaction().execute(async (trx) => {
        await repo.insertExperiment(trx, row)
        await deps.audit.record(trx, {
          actor,
          action: 'experiment.created',
          details: { experiment: row.id, stages: definition.stages },
        })
      })
      return toExperiment(row)
    },

    /** An experiment, its statistics now, and the looks the rollout took (for the chart). */
    async get(
      id: string,
    ): Promise<{ experiment: Experiment; statistics: Statistics; history: LookPoint[] }> {
      const row = await load(id)
      const experiment = toExperiment(row)
      const { statistics } = await statisticsOf(row, experiment)
      return { experiment, statistics, history: parseHistory(row.history) }
    },

    async list(): Promise<Experiment[]> {
      return (await repo.listExperiments(deps.db)).map(toExperiment)
    },

    /**
     * The variant for a shopper (a customer reference or a shop session id), enrolling a subject on
     * first assignment; or why they are not enrolled. Consent is read at the moment of asking, so a
     * shopper who turns personalization off or objects is out from the next request on.
     */
    async assignment(
      id: string,
      who: { subject?: string | undefined; session?: string | undefined },
      signals: RequestSignals = {},
    ): Promise<AssignmentOut> {
      const row = await load(id)
      const experiment = toExperiment(row)
      const out = (reason: NotEnrolled) =>
        ({ experiment: id, status: 'not_enrolled', reason }) as const
      if (experiment.status !== 'running') return out('experiment_stopped')
      const purpose = experiment.purpose

      let unit: { kind: 'subject' | 'session'; id: string }
      if (who.subject !== undefined) {
        const subjectId = await deps.identity.findSubjectId(who.subject)
        if (subjectId === undefined) return out('unknown_shopper')
        const reason = await subjectIneligible(subjectId, purpose, signals)
        if (reason !== undefined) return out(reason)
        unit = { kind: 'subject', id: subjectId }
      } else if (who.session !== undefined) {
        const sessionKey = deps.session.keyOf(who.session)
        const decision = await deps.consent.decide(
          await deps.session.liveKey(sessionKey),
          purpose,
          signals,
        )
        const reason = decideEligibility({ restricted: false, level: undefined, decision })
        if (reason !== undefined) return out(reason)
        unit = { kind: 'session', id: sessionKey }
      } else {
        throw new AppError('validation_failed', 'Name a subject or a session', {
          issues: [{ field: 'querystring.subject', reason: 'subject or session is required' }],
        })
      }
      const variant = await enrolUnit({ ...experiment, keyId: row.keyId }, unit)
      if (variant === 'outside_rollout') return out(variant)
      const chosen = experiment.variants[variant] ?? experiment.variants[0]!
      return { experiment: id, status: 'enrolled', variant: chosen.name, settings: chosen.settings }
    },

    /**
     * The variant of a running experiment over recommendation parameters for a subject the answer
     * names (the oldest such experiment that enrols them), enrolling them on first asking; undefined
     * when none runs or the eligibility rule keeps them out. What the recommend module's answer asks.
     */
    async variantFor(
      subjectId: string,
      signals: RequestSignals,
      target: Experiment['target'] = 'recommendation_parameters',
    ): Promise<
      | {
          experiment: string
          variant: string
          index: number
          settings: Record<string, string | number | boolean>
        }
      | undefined
    > {
      // A copy kept in step with every process's writes (`experiments.cache.ts`), oldest first.
      const running = await repo.listRunning(deps.db)
      const ineligible = new Map<string, NotEnrolled | undefined>()
      for (const experiment of running) {
        if (experiment.target !== target) continue
        if (!ineligible.has(experiment.purpose))
          ineligible.set(
            experiment.purpose,
            await subjectIneligible(subjectId, experiment.purpose, signals),
          )
        if (ineligible.get(experiment.purpose) !== undefined) continue
        const variant = await enrolUnit(experiment, { kind: 'subject', id: subjectId })
        if (variant === 'outside_rollout') continue
        const index = experiment.variants[variant] === undefined ? 0 : variant
        const chosen = experiment.variants[index]!
        return { experiment: experiment.id, variant: chosen.name, index, settings: chosen.settings }
      }
      return undefined
    },

    /**
     * Remembers which answer a variant shaped, under the enrolled subject (see `attributeOutcomes`).
     * `variant` is the index `variantFor` answered, so nothing is read again.
     */
    async recordExposure(exposure: {
      recommId: string
      subjectId: string
      experiment: string
      variant: number
      at: string
    }): Promise<void> {
      await repo.insertExposure(deps.db, {
        owner: exposure.subjectId,
        recommId: exposure.recommId,
        experimentId: exposure.experiment,
        variant: exposure.variant,
        at: exposure.at,
      })
    },

    /** Counts a metric reached by a subject in every experiment they are enrolled in (once each). */
    async recordOutcome(subjectId: string, metric: Metric): Promise<number> {
      return repo.markOutcome(deps.db, subjectId, metric)
    },

    /**
     * Counts the outcomes of real events since `since` (default: the last `OUTCOME_WINDOW_MS`):
     * actions on answers a variant shaped, and privacy-tagged feedback ("creepy").
     */
    async attributeOutcomes(since?: string): Promise<{ actions: number; creepy: number }> {
      if (deps.outcomes === undefined) return { actions: 0, creepy: 0 }
      const from = since ?? new Date(deps.clock.now().getTime() - OUTCOME_WINDOW_MS).toISOString()
      return attributeOutcomes(deps.db, repo, deps.outcomes, from)
    },

    /**
     * The rollout job's run: counts the latest outcomes, forgets exposures older than the answer
     * log, then steps every running experiment (stop on a breach, advance once a stage has run its
     * time, else only look). An experiment another process moved meanwhile is left for the next run.
     */
    async runRollouts(): Promise<{ experiment: string; action: StepAction }[]> {
      await this.attributeOutcomes()
      const cutoff = new Date(deps.clock.now().getTime() - EXPOSURE_DAYS * 86_400_000)
      await repo.deleteExposuresBefore(deps.db, cutoff.toISOString())
      const out: { experiment: string; action: StepAction }[] = []
      for (const row of await repo.listExperiments(deps.db)) {
        if (row.status !== 'running') continue
        try {
          out.push({ experiment: row.id, action: (await step(row, 'scheduled', SYSTEM)).action })
        } catch (err) {
          if (!(err instanceof AppError && err.code === 'conflict')) throw err
        }
      }
      return out
    },

    /**
     * One rollout step asked for by staff: if any guardrail's confidence sequence shows harm beyond its
     * tolerance, the experiment stops; otherwise it moves to the next stage (or stays at the last one).
     */
    async rollout(
      id: string,
      actor: Actor,
    ): Promise<{ action: RolloutAction; experiment: Experiment; statistics: Statistics }> {
      const result = await step(await load(id), 'manual', actor)
      return { ...result, action: result.action as RolloutAction }
    },

    /** Stops a running experiment by hand. */
    async stop(id: string, actor: Actor): Promise<Experiment> {
      const row = await load(id)
      if (row.status !== 'running') throw new AppError('conflict', 'The experiment is stopped')
      const now = deps.clock.now().toISOString()
      const reason = JSON.stringify({ kind: 'manual', at: now } satisfies StoppedReason)
      await deps.db.transaction().execute(async (trx) => {
        const moved = await repo.updateExperiment(
          trx,
          id,
          { status: row.status, stage: row.stage },
          {
            status: 'stopped',
            stage: row.stage,
            looks: row.looks,
            history: row.history,
            stoppedReason: reason,
            updatedAt: now,
          },
        )
        if (!moved) throw new AppError('conflict', 'The experiment changed meanwhile; try again')
        await deps.audit.record(trx, {
          actor,
          action: 'experiment.stopped',
          details: { experiment: id },
        })
      })
      return toExperiment({ ...row, status: 'stopped', stoppedReason: reason, updatedAt: now })
    },

    /**
     * The experiments a subject is enrolled in, for their export and the privacy center: each with
     * its variant, what the variant changes (`differs`, in plain words), and how many answers it shaped.
     */
    async exportSubject(subjectId: string) {
      const enrolments = await repo.listEnrolments(deps.db, subjectId)
      const out = []
      for (const e of enrolments) {
        const row = await repo.findExperiment(deps.db, e.experimentId)
        const experiment = row === undefined ? undefined : toExperiment(row)
        const variant = experiment?.variants[e.variant]
        out.push({
          experiment: e.experimentId,
          name: experiment?.name ?? null,
          status: experiment?.status ?? null,
          target: experiment?.target ?? null,
          variant: variant?.name ?? null,
          control: e.variant === 0,
          differs: experiment === undefined ? null : describeVariant(experiment, e.variant),
          enrolledAt: e.enrolledAt,
          metrics: e.metrics,
        })
      }
      return { experiments: out, answersShaped: await repo.countExposures(deps.db, subjectId) }
    },

    async eraseSubject(executor: Db, subjectId: string) {
      return {
        experimentEnrolments: await repo.deleteEnrolments(executor, subjectId),
        experimentExposures: await repo.deleteExposures(executor, subjectId),
      }
    },
  }
}
