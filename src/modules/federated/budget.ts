/**
 * The per-day privacy budget of federated contributions: the charter declares epsilon per
 * contribution (one report) and per day (all of one browser's reports in a UTC day). Sequential
 * composition: r reports of epsilon_c each cost r * epsilon_c, so a day allows
 * floor(epsilon_day / epsilon_c) reports. The browser keeps the ledger (it is the only party that
 * knows which reports are its own); the server checks what it can see without identifiers: that a
 * batch is made at the declared epsilon and holds no more than one day's reports.
 *
 * Pure and browser-safe: the SDK imports it.
 */

/** Epsilon per contribution and per day, as the charter declares them. */
export interface FederatedBudget {
  readonly epsilonPerContribution: number
  readonly epsilonPerDay: number
}

/** What a browser has spent: the UTC day (YYYY-MM-DD) and the epsilon spent on it. */
export interface BudgetLedger {
  readonly day: string
  readonly spent: number
}

/** Reports one day allows: floor(epsilon_day / epsilon_c), with room for float rounding. */
export function reportsPerDay(budget: FederatedBudget): number {
  return Math.floor(budget.epsilonPerDay / budget.epsilonPerContribution + 1e-9)
}

/**
 * How many of `wanted` reports may be made now, and the ledger after making them. A ledger of an
 * earlier day counts as nothing spent.
 *
 * @example
 * const { allowed, ledger } = spendBudget(stored, new Date(), budget, pairs.length)
 * // encode `allowed` pairs, then store `ledger`
 */
export function spendBudget(
  ledger: BudgetLedger | undefined,
  now: Date,
  budget: FederatedBudget,
  wanted: number,
): { allowed: number; ledger: BudgetLedger } {
  const day = now.toISOString().slice(0, 10)
  const spent = ledger !== undefined && ledger.day === day ? ledger.spent : 0
  const used = Math.round(spent / budget.epsilonPerContribution)
  const allowed = Math.max(0, Math.min(Math.floor(wanted), reportsPerDay(budget) - used))
  return { allowed, ledger: { day, spent: (used + allowed) * budget.epsilonPerContribution } }
}

/** Why a batch breaks the budget, or undefined when it keeps it. */
export function batchBudgetProblem(
  epsilon: number,
  reports: number,
  budget: FederatedBudget,
): { field: 'epsilon' | 'reports'; reason: string } | undefined {
  if (epsilon !== budget.epsilonPerContribution)
    return {
      field: 'epsilon',
      reason: `reports must be made at the charter's epsilon per contribution, ${budget.epsilonPerContribution}`,
    }
  const max = reportsPerDay(budget)
  if (reports > max)
    return {
      field: 'reports',
      reason: `at most ${max} reports a batch: the charter allows epsilon ${budget.epsilonPerDay} a day at ${budget.epsilonPerContribution} each`,
    }
  return undefined
}
