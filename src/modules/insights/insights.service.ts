/**
 * Differentially private queries over stored events, for analysts (and, through `QueryContext`, for
 * the clean room's partners): plan the query, read one row per (owner, group) from the events stored
 * for an aggregateAnalytics purpose, bound each owner's contribution, add noise, and spend the cost
 * from the caller's budget with an audit entry in the same transaction. Nothing is returned unless
 * its cost was spent; a dry run spends nothing and returns the cost and the budget.
 *
 * Order of a real query: a quick budget check (a 403 before any work), the read and the noise, then
 * the locked spend; when the budget ran out in between (a concurrent query took it), the computed
 * cells are thrown away and the answer is the 403.
 */
import { randomBytes } from 'node:crypto'
import type { Clock } from '../../lib/clock.js'
import { canonicalJson, sha256Hex } from '../../lib/crypto.js'
import { AppError } from '../../lib/errors.js'
import type { Db } from '../../storage/db.js'
import type { Actor, AuditLog } from '../audit/index.js'
import { type Charter, aggregateAnalyticsPurposes } from '../charter/index.js'
import { type BudgetPolicy, createBudgetLedger } from './insights.budget.js'
import { epsilonForRho, rhoForEpsilon } from './insights.dp.accounting.js'
import { cryptoRng } from './insights.dp.samplers.js'
import {
  type BoundedGroup,
  type OwnerGroupRow,
  type QueryPlan,
  boundContributions,
  groupKeyId,
  queryCost,
  release,
  sensitivity,
  stepBounds,
  stepsOf,
} from './insights.engine.js'
import type {
  BudgetState,
  InsightCell,
  InsightsAnswer,
  InsightsQuery,
  PrivacyCost,
} from './insights.js'
import { planQuery } from './insights.plan.js'
import { type EventsSelection, createInsightsRepository } from './insights.repository.js'

/** Whose budget a query spends: an analyst key's (`insights.budget`) or a partner key's. */
export type BudgetKind = 'analyst' | 'partner'

/** A restriction of who is counted: the owners a clean-room upload matched. */
export interface Population {
  uploadId: string
  /**
   * `events` (default): those owners' aggregate-analytics events. `matches`: one row per matched
   * owner and no event (the overlap's size).
   */
  source?: 'events' | 'matches'
  /** Keeps only the owners this returns (the clean room's consent check at query time). */
  keep?: (owners: readonly string[]) => Promise<ReadonlySet<string>>
}

export interface QueryContext {
  actor: Actor
  keyId: string
  budget: BudgetKind
  population?: Population
  /**
   * Cells whose noisy distinct-subject count is below this are withheld (and counted in
   * `suppressed`). For a measure other than `subjects` that count is a second release at half the
   * query's rho, so the query still costs epsilon^2 / 2 in all.
   */
  minGroupSize?: number
  /** The audit action (`insights.query`; a dry run appends `.dry_run`). */
  action?: string
}

export interface InsightsServiceDeps {
  db: Db
  clock: Clock
  charter: Charter
  audit: AuditLog
}

function noInsights(): AppError {
  return new AppError('not_found', 'the charter declares no insights')
}

/** The cost of a plan, and of its companion count when small groups are withheld. */
function costOf(plans: readonly QueryPlan[], epsilon: number, delta: number): PrivacyCost {
  const first = plans[0]!
  if (plans.length === 1) return queryCost(first)
  const selection = plans.reduce((d, p) => d + (p.selectionDelta > 0 ? p.selectionDelta : 0), 0)
  const rho = rhoForEpsilon(epsilon)
  return first.mechanism === 'laplace'
    ? { rho, epsilon, delta: selection }
    : { rho, epsilon: epsilonForRho(rho, delta), delta: delta + selection }
}

/**
 * @example
 *   const answer = await insights.query(body, { actor, keyId, budget: 'analyst' })
 */
export function createInsightsService(deps: InsightsServiceDeps) {
  const repo = createInsightsRepository()
  const ledger = createBudgetLedger({ db: deps.db, clock: deps.clock })
  const purposes = aggregateAnalyticsPurposes(deps.charter)

  function settings() {
    const insights = deps.charter.insights
    if (insights === undefined) throw noInsights()
    return insights
  }

  function policyOf(kind: BudgetKind): BudgetPolicy {
    const insights = settings()
    const budget = kind === 'analyst' ? insights.budget : insights.cleanRoom?.budget
    if (budget === undefined) throw new AppError('not_found', 'the charter declares no clean room')
    return { rho: budget.rho, perDays: budget.perDays, delta: insights.delta }
  }

  /** What the SQL reads for a query: aggregate-analytics events, the days, types, items, categories. */
  function selectionOf(
    query: InsightsQuery,
    planned: ReturnType<typeof planQuery>,
    population: Population | undefined,
  ): EventsSelection {
    const insights = settings()
    const field = query.field
    return {
      purposes,
      groupBy: query.groupBy,
      ...(field !== undefined && planned.plan.bounds !== undefined
        ? { value: { field, bounds: insights.bounds[field] } }
        : {}),
      from: planned.from,
      to: planned.to,
      ...(query.filters.types === undefined ? {} : { types: query.filters.types }),
      ...(query.filters.items === undefined ? {} : { items: query.filters.items }),
      ...(query.filters.categories === undefined ? {} : { categories: query.filters.categories }),
      jurisdictions: planned.jurisdictions,
      ...(population === undefined ? {} : { uploadId: population.uploadId }),
      now: deps.clock.now().toISOString(),
    }
  }

  /**
   * An analyst's query: the database bounds each owner's part and hands over one row per group
   * (`boundedGroups`, the same bounds as `boundContributions`).
   */
  async function boundedOf(
    query: InsightsQuery,
    planned: ReturnType<typeof planQuery>,
  ): Promise<Map<string, BoundedGroup>> {
    if (purposes.length === 0) return new Map()
    const { plan } = planned
    return repo.boundedGroups(deps.db, selectionOf(query, planned, undefined), {
      maxRowsPerGroup: plan.maxRowsPerGroup,
      maxGroupsPerSubject: plan.maxGroupsPerSubject,
      steps: stepsOf(plan),
      stepBounds: stepBounds(plan),
      salt: randomBytes(32).toString('hex'),
    })
  }

  async function rowsOf(
    query: InsightsQuery,
    planned: ReturnType<typeof planQuery>,
    population: Population | undefined,
  ): Promise<OwnerGroupRow[]> {
    let rows: OwnerGroupRow[]
    if (population?.source === 'matches') {
      // One row per matched owner with no event: nothing to group by.
      if (query.groupBy.length > 0) {
        throw new AppError('validation_failed', 'body.groupBy: the overlap has no groups', {
          issues: [{ field: 'body.groupBy', reason: 'the overlap has no groups' }],
        })
      }
      rows = await repo.populationOwners(deps.db, population.uploadId)
    } else {
      if (purposes.length === 0) return []
      rows = await repo.ownerGroups(deps.db, selectionOf(query, planned, population))
    }
    if (population?.keep !== undefined) {
      const kept = await population.keep([...new Set(rows.map((r) => r.owner))])
      rows = rows.filter((r) => kept.has(r.owner))
    }
    return rows
  }

  /** Noisy cells of the plans (the second, if any, is the distinct-subject count of the first). */
  function answer(
    rows: readonly OwnerGroupRow[],
    plans: readonly QueryPlan[],
    minGroupSize?: number,
  ) {
    const rng = cryptoRng()
    const salt = randomBytes(32)
    const main = plans[0]!
    const released = release(boundContributions(rows, main, salt), main, rng)
    if (minGroupSize === undefined) return { cells: released.cells, suppressed: 0 }
    let counts: Map<string, number>
    if (plans[1] === undefined) {
      counts = new Map(released.cells.map((c) => [groupKeyId(keyOf(c, main)), c.value]))
    } else {
      const companion = release(boundContributions(rows, plans[1], salt), plans[1], rng)
      counts = new Map(companion.cells.map((c) => [groupKeyId(keyOf(c, main)), c.value]))
    }
    const cells = released.cells.filter(
      (c) => (counts.get(groupKeyId(keyOf(c, main))) ?? -Infinity) >= minGroupSize,
    )
    return { cells, suppressed: released.cells.length - cells.length }
  }

  /**
   * The noisy cells of a query. The clean room filters owners after reading (consent at query time)
   * and counts groups' shoppers a second time: it bounds in the engine. An analyst's query bounds in
   * SQL.
   */
  async function cellsOf(
    query: InsightsQuery,
    planned: ReturnType<typeof planQuery>,
    plans: readonly QueryPlan[],
    ctx: QueryContext,
  ): Promise<{ cells: InsightCell[]; suppressed: number }> {
    if (ctx.population !== undefined || ctx.minGroupSize !== undefined) {
      return answer(await rowsOf(query, planned, ctx.population), plans, ctx.minGroupSize)
    }
    const bounded = await boundedOf(query, planned)
    return { cells: release(bounded, planned.plan, cryptoRng()).cells, suppressed: 0 }
  }

  function keyOf(cell: InsightCell, plan: QueryPlan): string[] {
    return plan.groupBy.map((d) => cell.group[d] ?? '')
  }

  return {
    /** Whether the charter has an insights section at all. */
    enabled: (): boolean => deps.charter.insights !== undefined,

    /** Plan, check, read, add noise, spend and audit; see the file header. */
    async query(query: InsightsQuery, ctx: QueryContext): Promise<InsightsAnswer> {
      const insights = settings()
      const policy = policyOf(ctx.budget)
      const needsCatalog = query.groupBy.includes('item') || query.groupBy.includes('category')
      const catalog = needsCatalog ? await repo.catalogKeys(deps.db) : { items: [], categories: [] }
      const planned = planQuery(query, deps.charter, insights, deps.clock.now(), catalog)
      const main = planned.plan
      // Small groups withheld: a separate distinct-subject count unless the measure is that count.
      const split = ctx.minGroupSize !== undefined && main.measure !== 'subjects'
      const share = main.mechanism === 'laplace' ? 0.5 : Math.SQRT1_2
      const plans: QueryPlan[] = split
        ? [
            { ...main, epsilon: query.epsilon * share },
            { ...main, measure: 'subjects', epsilon: query.epsilon * share },
          ]
        : [main]
      const cost = costOf(plans, query.epsilon, insights.delta)
      if (cost.rho > policy.rho) {
        throw new AppError(
          'validation_failed',
          `body.epsilon: costs rho ${cost.rho}, more than the whole budget of rho ${policy.rho} per ${policy.perDays} days`,
          {
            issues: [
              {
                field: 'body.epsilon',
                reason: `costs more than the whole budget (rho ${policy.rho})`,
              },
            ],
          },
        )
      }
      const contribution = {
        maxRowsPerGroup: main.maxRowsPerGroup,
        maxGroupsPerSubject: main.maxGroupsPerSubject,
      }
      const action = ctx.action ?? 'insights.query'
      const details = (cells: number) => ({
        keyId: ctx.keyId,
        measure: query.measure,
        groupBy: query.groupBy,
        rho: cost.rho,
        epsilon: cost.epsilon,
        delta: cost.delta,
        cells,
        ...(ctx.population === undefined ? {} : { uploadId: ctx.population.uploadId }),
      })
      const base = { contribution, sensitivity: sensitivity(main), cost }

      if (query.dryRun) {
        const budget = await ledger.state(ctx.keyId, policy)
        await deps.audit.recordNow({
          actor: ctx.actor,
          action: `${action}.dry_run`,
          details: details(0),
        })
        return { dryRun: true, cells: [], budget, suppressed: 0, truncated: false, ...base }
      }

      await ledger.check(ctx.keyId, policy, cost.rho)
      const { cells, suppressed } = await cellsOf(query, planned, plans, ctx)
      // Sorted after noise (a sort on true values would leak them), then cut to the limit.
      cells.sort((a, b) => b.value - a.value)
      const kept = cells.slice(0, query.limit)
      const hash = sha256Hex(canonicalJson({ ...query, keyId: ctx.keyId }))
      const { state } = await ledger.spend(ctx.keyId, policy, cost, hash, (trx) =>
        deps.audit.record(trx, { actor: ctx.actor, action, details: details(kept.length) }),
      )
      return {
        dryRun: false,
        cells: kept,
        budget: state,
        suppressed,
        truncated: cells.length > kept.length,
        ...base,
      }
    },

    /** Where a key's budget stands. */
    async budget(keyId: string, kind: BudgetKind): Promise<BudgetState> {
      return ledger.state(keyId, policyOf(kind))
    },

    /** Every given key's budget (analyst and partner keys, for staff). */
    async budgets(keys: readonly { id: string; kind: BudgetKind }[]): Promise<BudgetState[]> {
      settings()
      const out: BudgetState[] = []
      for (const key of keys) {
        if (key.kind === 'partner' && deps.charter.insights?.cleanRoom === undefined) continue
        out.push(await ledger.state(key.id, policyOf(key.kind)))
      }
      return out
    },
  }
}

export type InsightsService = ReturnType<typeof createInsightsService>
