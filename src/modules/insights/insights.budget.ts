/**
 * The privacy budget ledger: how much of its budget (rho, zero-concentrated DP) each analyst or partner
 * key spent in the charter's rolling period, and spending it so that concurrent queries never overspend.
 *
 * A spend is one transaction that first locks the key's `insights_budgets` row (made on first use; on
 * PostgreSQL `select ... for update`, on SQLite the transaction holds the single write lock from its
 * start, see `storage/db.ts`), then sums the key's spends still inside the period, refuses when the
 * query does not fit, and writes the spend. What the caller passes as `alongside` (the audit entry)
 * runs in the same transaction, so a spend is recorded if and only if it is audited.
 *
 * Renewal is by rolling period: a spend counts while `spent_at > now - perDays`. So budget comes back
 * spend by spend, `perDays` after each was made; `renewsAt` says when the oldest one counted leaves.
 */
import { sql } from 'kysely'
import type { Clock } from '../../lib/clock.js'
import { DAY_MS } from '../../lib/clock.js'
import { AppError } from '../../lib/errors.js'
import { newId } from '../../lib/ids.js'
import type { Db } from '../../storage/db.js'
import { epsilonForRho } from './insights.dp.accounting.js'
import type { BudgetState, PrivacyCost } from './insights.js'

type BudgetTables = {
  insights_budgets: { key_id: string; created_at: string }
  insights_spends: {
    id: string
    key_id: string
    spent_at: string
    rho: number
    delta: number
    query_hash: string
  }
}

/** A key's budget: rho per rolling period of days, and the delta its (epsilon, delta) are shown at. */
export interface BudgetPolicy {
  rho: number
  perDays: number
  delta: number
}

/** Sums of floats (0.02 a hundred times is 2.0000000000000004) may pass the budget by this much. */
const SLACK = 1e-9

interface Spend {
  spentAt: string
  rho: number
}

function periodStart(now: Date, policy: BudgetPolicy): string {
  return new Date(now.getTime() - policy.perDays * DAY_MS).toISOString()
}

function leavesAt(spentAt: string, policy: BudgetPolicy): string {
  return new Date(new Date(spentAt).getTime() + policy.perDays * DAY_MS).toISOString()
}

/** Where a key stands, from its spends inside the period (oldest first). */
export function budgetStateOf(
  keyId: string,
  policy: BudgetPolicy,
  spends: readonly Spend[],
): BudgetState {
  const spentRho = spends.reduce((sum, s) => sum + s.rho, 0)
  const remainingRho = Math.max(0, policy.rho - spentRho)
  const oldest = spends[0]
  return {
    keyId,
    periodDays: policy.perDays,
    rho: policy.rho,
    spentRho,
    remainingRho,
    epsilon: epsilonForRho(policy.rho, policy.delta),
    remainingEpsilon: remainingRho <= 0 ? 0 : epsilonForRho(remainingRho, policy.delta),
    delta: policy.delta,
    queries: spends.length,
    renewsAt: oldest === undefined ? null : leavesAt(oldest.spentAt, policy),
  }
}

/**
 * When enough of the budget has come back for `required` rho: the time the spend that frees enough
 * leaves the period (spends leave oldest first). Null when nothing counted could free it.
 */
function fitsAt(policy: BudgetPolicy, spends: readonly Spend[], required: number): string | null {
  let spent = spends.reduce((sum, s) => sum + s.rho, 0)
  for (const spend of spends) {
    spent -= spend.rho
    if (spent + required <= policy.rho + SLACK) return leavesAt(spend.spentAt, policy)
  }
  return null
}

/** The refusal when a query does not fit: 403 with when it will and how much is left. */
function exhausted(state: BudgetState, required: number, renewsAt: string | null): AppError {
  const left = Math.round(state.remainingRho * 1e6) / 1e6
  const need = Math.round(required * 1e6) / 1e6
  return new AppError(
    'privacy_budget_exhausted',
    `This query needs rho ${need} but ${left} of the budget is left` +
      (renewsAt === null ? '' : ` until ${renewsAt}`),
    { details: { renewsAt, remainingRho: state.remainingRho, requiredRho: required } },
  )
}

export type BudgetLedger = ReturnType<typeof createBudgetLedger>

export interface BudgetLedgerDeps {
  db: Db
  clock: Clock
}

/**
 * @example
 *   const ledger = createBudgetLedger({ db, clock })
 *   await ledger.spend(keyId, policy, cost, hash, (trx) => audit.record(trx, entry))
 */
export function createBudgetLedger(deps: BudgetLedgerDeps) {
  const db = deps.db.withTables<BudgetTables>()

  async function spendsOf(executor: typeof db, keyId: string, since: string): Promise<Spend[]> {
    const rows = await executor
      .selectFrom('insights_spends')
      .select(['spent_at', 'rho'])
      .where('key_id', '=', keyId)
      .where('spent_at', '>', since)
      .orderBy('spent_at')
      .execute()
    return rows.map((r) => ({ spentAt: r.spent_at, rho: Number(r.rho) }))
  }

  return {
    /** Where the key's budget stands now. */
    async state(keyId: string, policy: BudgetPolicy): Promise<BudgetState> {
      const spends = await spendsOf(db, keyId, periodStart(deps.clock.now(), policy))
      return budgetStateOf(keyId, policy, spends)
    },

    /**
     * Throws `privacy_budget_exhausted` if `rho` does not fit now, without locking or spending (a dry
     * run, or a check before the work of a query whose spend is then made by `spend`).
     */
    async check(keyId: string, policy: BudgetPolicy, rho: number): Promise<BudgetState> {
      const spends = await spendsOf(db, keyId, periodStart(deps.clock.now(), policy))
      const state = budgetStateOf(keyId, policy, spends)
      if (state.spentRho + rho > policy.rho + SLACK) {
        throw exhausted(state, rho, fitsAt(policy, spends, rho))
      }
      return state
    },

    /**
     * Spends `cost` from the key's budget in one transaction that holds the key's lock, with
     * `alongside` (the audit entry) in the same transaction; throws `privacy_budget_exhausted` (and
     * writes nothing) when it does not fit. Returns the state after the spend.
     */
    async spend<T>(
      keyId: string,
      policy: BudgetPolicy,
      cost: PrivacyCost,
      queryHash: string,
      alongside: (trx: Db) => Promise<T>,
    ): Promise<{ state: BudgetState; alongside: T }> {
      return db.transaction().execute(async (trx) => {
        const now = deps.clock.now()
        await trx
          .insertInto('insights_budgets')
          .values({ key_id: keyId, created_at: now.toISOString() })
          .onConflict((oc) => oc.column('key_id').doNothing())
          .execute()
        // PostgreSQL: queries of one key wait here for each other. SQLite: `begin immediate` already
        // holds the only write lock, and `for update` is not SQL there.
        if (sql`${0}`.compile(trx).sql !== '?') {
          await sql`select key_id from insights_budgets where key_id = ${keyId} for update`.execute(
            trx,
          )
        }
        const spends = await spendsOf(trx, keyId, periodStart(now, policy))
        const before = budgetStateOf(keyId, policy, spends)
        if (before.spentRho + cost.rho > policy.rho + SLACK) {
          throw exhausted(before, cost.rho, fitsAt(policy, spends, cost.rho))
        }
        const spentAt = now.toISOString()
        await trx
          .insertInto('insights_spends')
          .values({
            id: newId('isp'),
            key_id: keyId,
            spent_at: spentAt,
            rho: cost.rho,
            delta: cost.delta,
            query_hash: queryHash,
          })
          .execute()
        const result = await alongside(trx as unknown as Db)
        return {
          state: budgetStateOf(keyId, policy, [...spends, { spentAt, rho: cost.rho }]),
          alongside: result,
        }
      })
    },
  }
}
