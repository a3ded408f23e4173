import type { Clock } from '../../lib/clock.js'
import { AppError } from '../../lib/errors.js'
import { newSortableId } from '../../lib/ids.js'
import type { Db } from '../../storage/db.js'
import type { Actor, AuditLog } from '../audit/index.js'
import { type Charter, findPurpose } from '../charter/index.js'
import type { ConsentService, RequestSignals } from '../consent/index.js'
import type { IdentityService, KeyringHolder } from '../identity/index.js'
import type { SessionService } from '../session/index.js'
import { assign, deriveAssignmentKey } from './experiments.assign.js'
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
import { type ExperimentRow, createExperimentsRepository } from './experiments.repository.js'
import { type Looks, computeStatistics } from './experiments.stats.js'

export interface ExperimentsDeps {
  db: Db
  clock: Clock
  keys: KeyringHolder
  charter: Charter
  audit: Pick<AuditLog, 'record'>
  identity: Pick<IdentityService, 'findSubjectId'>
  consent: Pick<ConsentService, 'contextFor' | 'getSettings' | 'decide'>
  session: Pick<SessionService, 'keyOf' | 'liveKey'>
}

export type ExperimentsService = ReturnType<typeof createExperimentsService>

export type RolloutAction = 'advanced' | 'stopped' | 'at_last_stage'

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
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    stoppedReason:
      row.stoppedReason === null ? null : (JSON.parse(row.stoppedReason) as StoppedReason),
  }
}

/**
 * Staged experiments: definitions, enrolment by keyed hash (`experiments.assign.ts`) of shoppers whose
 * consent allows it (`experiments.eligibility.ts`), outcomes counted once per enrolled shopper, and a
 * rollout step that widens exposure only while every guardrail holds and stops the experiment when one
 * breaks. Only subjects' enrolments are stored: a visit's assignment is recomputed each time (it is the
 * same every time) and nothing of it outlives the visit.
 */
export function createExperimentsService(deps: ExperimentsDeps) {
  const repo = createExperimentsRepository()
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

    async get(id: string): Promise<{ experiment: Experiment; statistics: Statistics }> {
      const row = await load(id)
      const experiment = toExperiment(row)
      const { statistics } = await statisticsOf(row, experiment)
      return { experiment, statistics }
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
      const out = (reason: Extract<AssignmentOut, { status: 'not_enrolled' }>['reason']) =>
        ({ experiment: id, status: 'not_enrolled', reason }) as const
      if (experiment.status !== 'running') return out('experiment_stopped')
      const purpose = experiment.purpose

      let unit: { kind: 'subject' | 'session'; id: string }
      if (who.subject !== undefined) {
        const subjectId = await deps.identity.findSubjectId(who.subject)
        if (subjectId === undefined) return out('unknown_shopper')
        const context = await deps.consent.contextFor(subjectId, signals)
        const settings = await deps.consent.getSettings(subjectId, signals)
        const decision = await deps.consent.decide(subjectId, purpose, signals)
        const reason = decideEligibility({
          restricted: context.restricted === true,
          level: settings.level,
          decision,
        })
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

      const weights = experiment.variants.map((v) => v.weight)
      let variant: number | undefined
      if (unit.kind === 'subject') {
        // Once enrolled, the stored variant stands (even if the definition were to change).
        variant = (await repo.findEnrolment(deps.db, unit.id, id))?.variant
      }
      if (variant === undefined) {
        const a = assign(assignmentKey(row.keyId), id, unit, experiment.exposure, weights)
        if (!a.enrolled) return out('outside_rollout')
        variant = a.variant
        if (unit.kind === 'subject') {
          await repo.enrol(deps.db, {
            owner: unit.id,
            experimentId: id,
            variant,
            stage: row.stage,
            at: deps.clock.now().toISOString(),
          })
        }
      }
      const chosen = experiment.variants[variant] ?? experiment.variants[0]!
      return { experiment: id, status: 'enrolled', variant: chosen.name, settings: chosen.settings }
    },

    /**
     * Counts a metric reached by a subject in every experiment they are enrolled in (once each). Not
     * yet called by the event pipeline (see the README): the caller passes the subject id.
     */
    async recordOutcome(subjectId: string, metric: Metric): Promise<number> {
      return repo.markOutcome(deps.db, subjectId, metric)
    },

    /**
     * One rollout step: if any guardrail's confidence sequence shows harm beyond its tolerance, the
     * experiment stops; otherwise it moves to the next stage (or stays at the last one).
     */
    async rollout(
      id: string,
      actor: Actor,
    ): Promise<{ action: RolloutAction; experiment: Experiment; statistics: Statistics }> {
      const row = await load(id)
      const experiment = toExperiment(row)
      if (experiment.status !== 'running') {
        throw new AppError('conflict', 'The experiment is stopped', { details: { id } })
      }
      const { statistics, looks } = await statisticsOf(row, experiment)
      const breached = statistics.guardrails.find((g) => g.breached)
      const now = deps.clock.now().toISOString()
      let action: RolloutAction
      let next: { status: string; stage: number; stoppedReason: string | null }
      if (breached !== undefined) {
        action = 'stopped'
        const reason: StoppedReason = { kind: 'guardrail', at: now, guardrail: breached }
        next = { status: 'stopped', stage: row.stage, stoppedReason: JSON.stringify(reason) }
      } else if (row.stage + 1 < experiment.stages.length) {
        action = 'advanced'
        next = { status: 'running', stage: row.stage + 1, stoppedReason: null }
      } else {
        action = 'at_last_stage'
        next = { status: 'running', stage: row.stage, stoppedReason: null }
      }
      await deps.db.transaction().execute(async (trx) => {
        const moved = await repo.updateExperiment(
          trx,
          id,
          { status: row.status, stage: row.stage },
          { ...next, looks: JSON.stringify(looks), updatedAt: now },
        )
        if (!moved) throw new AppError('conflict', 'The experiment changed meanwhile; try again')
        await deps.audit.record(trx, {
          actor,
          action: `experiment.${action}`,
          details: {
            experiment: id,
            stage: next.stage,
            ...(breached === undefined
              ? {}
              : { metric: breached.metric, variant: breached.variant }),
          },
        })
      })
      const updated = toExperiment({
        ...row,
        ...next,
        looks: JSON.stringify(looks),
        updatedAt: now,
      })
      return { action, experiment: updated, statistics }
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

    /** The experiments a subject is enrolled in, for their export and the privacy center. */
    async exportSubject(subjectId: string) {
      const enrolments = await repo.listEnrolments(deps.db, subjectId)
      const out = []
      for (const e of enrolments) {
        const row = await repo.findExperiment(deps.db, e.experimentId)
        const experiment = row === undefined ? undefined : toExperiment(row)
        out.push({
          experiment: e.experimentId,
          name: experiment?.name ?? null,
          variant: experiment?.variants[e.variant]?.name ?? null,
          enrolledAt: e.enrolledAt,
          metrics: e.metrics,
        })
      }
      return { experiments: out }
    },

    async eraseSubject(executor: Db, subjectId: string) {
      return { experimentEnrolments: await repo.deleteEnrolments(executor, subjectId) }
    },
  }
}
