/**
 * The Insights panel's calls: a differentially private query (`POST /v1/insights/queries`, a dry run
 * or a real one) and the privacy budgets (`GET /v1/insights/budget`, `GET /v1/insights/budgets`). The
 * shapes are the module's own (`src/modules/insights/insights.ts`), so the panel reads what the server
 * sends; a refused query keeps the problem's details (which field, when the budget renews).
 */
import type {
  BudgetState,
  Dimension,
  InsightCell,
  Measure,
  PrivacyCost,
  ValueField,
} from '../../../src/modules/insights/insights.js'
import { ApiError, api } from '../api.js'

export type { BudgetState, Dimension, InsightCell, Measure, PrivacyCost, ValueField }

/** The event types a query may keep (the charter's; `search` carries no item, so it counts only). */
export const EVENT_TYPES = ['view', 'cart', 'purchase', 'search', 'feedback'] as const
export type EventType = (typeof EVENT_TYPES)[number]

/** What the form sends, as the route takes it. */
export interface InsightsQuery {
  measure: Measure
  field?: ValueField
  groupBy: Dimension[]
  filters: { from?: string; to?: string; types?: EventType[] }
  epsilon: number
  dryRun: boolean
}

/** The route's answer: the cells (none on a dry run), what it cost, and the budget after it. */
export interface InsightsAnswer {
  dryRun: boolean
  cells: InsightCell[]
  cost: PrivacyCost
  budget: BudgetState
  contribution: { maxRowsPerGroup: number; maxGroupsPerSubject: number }
  sensitivity: { l1: number; l2: number }
  suppressed: number
  truncated: boolean
}

export function runQuery(token: string, query: InsightsQuery): Promise<InsightsAnswer> {
  return api<InsightsAnswer>('POST', '/v1/insights/queries', { token, body: query })
}

export function loadOwnBudget(token: string): Promise<BudgetState> {
  return api<BudgetState>('GET', '/v1/insights/budget', { token })
}

/** Every analyst's and partner's budget (admin, privacy officer). */
export async function loadAllBudgets(token: string): Promise<BudgetState[]> {
  return (await api<{ budgets: BudgetState[] }>('GET', '/v1/insights/budgets', { token })).budgets
}

/** A key's name and role, from the admin's key list, to label its budget. */
export interface KeyName {
  id: string
  name: string
  role: string
}
export async function loadKeyNames(token: string): Promise<Map<string, KeyName>> {
  const { keys } = await api<{ keys: KeyName[] }>('GET', '/v1/admin/keys', { token })
  return new Map(keys.map((k) => [k.id, k]))
}

/** A refused query in the panel's terms. */
export type Refusal =
  | { kind: 'exhausted'; text: string; renewsAt: string | null; remaining: number | null }
  | { kind: 'fields'; text: string; fields: { field: string; reason: string }[] }
  | { kind: 'other'; text: string }

export function refusalOf(error: unknown): Refusal {
  if (!(error instanceof ApiError)) return { kind: 'other', text: String(error) }
  const { problem } = error
  if (error.code === 'privacy_budget_exhausted') {
    const renewsAt = typeof problem.renewsAt === 'string' ? problem.renewsAt : null
    const remaining = typeof problem.remainingRho === 'number' ? problem.remainingRho : null
    return { kind: 'exhausted', text: error.message, renewsAt, remaining }
  }
  if (error.status === 400 && Array.isArray(problem.errors)) {
    const text = (v: unknown, fallback: string) => (typeof v === 'string' ? v : fallback)
    const fields = (problem.errors as { field?: unknown; reason?: unknown }[]).map((e) => ({
      field: text(e.field, ''),
      reason: text(e.reason, 'is not valid'),
    }))
    return { kind: 'fields', text: error.message, fields }
  }
  return { kind: 'other', text: error.message }
}

/** The form field a problem's `field` names (`body.filters.from` -> `from`), or undefined. */
export function formFieldOf(field: string): string | undefined {
  const parts = field.replace(/^body\.?/, '').split('.')
  const known = ['measure', 'field', 'groupBy', 'from', 'to', 'types', 'epsilon']
  return [...parts].reverse().find((p) => known.includes(p))
}
