/**
 * The Insights panel's calls, through the typed client: a differentially private query
 * (`POST /v1/insights/queries`, a dry run or a real one) and the privacy budgets
 * (`GET /v1/insights/budget`, `GET /v1/insights/budgets`), with the key list to name them. A refused
 * query keeps the problem's details (which field, when the budget renews).
 */
import { ApiError } from '../api.js'
import { type AnswerOf, type paths, bearer, client, ok } from '../client.js'

/** The body `POST /v1/insights/queries` takes (fields with a default may be left out). */
export type InsightsQuery =
  paths['/v1/insights/queries']['post']['requestBody']['content']['application/json']
/** Its answer: the cells (none on a dry run), what it cost, and the budget. */
export type InsightsAnswer = AnswerOf<'/v1/insights/queries', 'post'>
export type InsightCell = InsightsAnswer['cells'][number]
export type BudgetState = AnswerOf<'/v1/insights/budget', 'get'>
export type Measure = InsightsQuery['measure']
export type ValueField = NonNullable<InsightsQuery['field']>
export type Dimension = NonNullable<InsightsQuery['groupBy']>[number]
export type EventType = NonNullable<NonNullable<InsightsQuery['filters']>['types']>[number]

/** The event types a query may keep, in the charter's order (`search` carries no item: it counts only). */
export const EVENT_TYPES = [
  'view',
  'cart',
  'purchase',
  'search',
  'feedback',
] as const satisfies readonly EventType[]

export function runQuery(token: string, body: InsightsQuery): Promise<InsightsAnswer> {
  // openapi-fetch's answer type widens the interval's [low, high] to number[]; the document says a pair.
  return ok(
    client.POST('/v1/insights/queries', { headers: bearer(token), body }),
  ) as Promise<InsightsAnswer>
}

export function loadOwnBudget(token: string): Promise<BudgetState> {
  return ok(client.GET('/v1/insights/budget', { headers: bearer(token) }))
}

/** Every analyst's and partner's budget (admin, privacy officer). */
export async function loadAllBudgets(token: string): Promise<BudgetState[]> {
  return (await ok(client.GET('/v1/insights/budgets', { headers: bearer(token) }))).budgets
}

/** A key's name and role, from the admin's key list, to label its budget. */
export type KeyName = AnswerOf<'/v1/admin/keys', 'get'>['keys'][number]
export async function loadKeyNames(token: string): Promise<Map<string, KeyName>> {
  const { keys } = await ok(client.GET('/v1/admin/keys', { headers: bearer(token) }))
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
