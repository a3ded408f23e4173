/**
 * Small fetch helpers for the pages: JSON in and out, errors as `ApiError` with the problem's code. The
 * shapes of Candor's answers come from the OpenAPI document's generated types (see `client.ts`, the typed
 * client that new code should use); only answers the document does not describe are written here.
 */
import type { AnswerOf } from './client.js'

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** The whole problem document: its `errors` (field and reason) and any details it carries. */
    readonly problem: Record<string, unknown> = {},
  ) {
    super(message)
    this.name = 'ApiError'
  }
}

/** A 404 for a route that is not there (another part of Candor not built yet) rather than a missing thing. */
export function isMissingRoute(error: unknown): boolean {
  return (
    error instanceof ApiError &&
    error.status === 404 &&
    (error.code === 'not_found' || error.code === 'http_error' || error.code === 'route_not_found')
  )
}

export async function api<T>(
  method: string,
  path: string,
  options: { token?: string | undefined; body?: unknown } = {},
): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' }
  if (options.body !== undefined) headers['content-type'] = 'application/json'
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`
  const response = await fetch(path, {
    method,
    headers,
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  })
  const text = await response.text()
  let json: unknown
  try {
    json = text === '' ? undefined : JSON.parse(text)
  } catch {
    json = undefined
  }
  if (!response.ok) {
    const problem = (json ?? {}) as {
      code?: string
      detail?: string
      title?: string
      message?: string
    }
    throw new ApiError(
      response.status,
      problem.code ?? 'http_error',
      problem.detail ?? problem.message ?? problem.title ?? `HTTP ${response.status}`,
      problem,
    )
  }
  return json as T
}

// ---- shapes the pages read (the minimum; Candor may send more) ----

export interface NoticePurpose {
  key: string
  title: string
  youGet: string
  itCosts: { data: string[]; keptFor: string; sharedWith: string[] }
  yourChoice: string
  saleOrSharing: boolean
  /** The special category it uses, in plain words; turned on only by itself. */
  specialCategory?: string
  /** The federated purpose: what the browser sends, how often, and the epsilons in plain words. */
  federated?: string
}
export interface Notice {
  version: string
  title: string
  controller: { name: string; contact: string }
  summary: string[]
  levels: { level: Level; title: string; text: string }[]
  groups: { id: string; heading: string; intro: string; purposes: NoticePurpose[] }[]
  gpc: string
  yourRights: string[]
  /** The charter's places; `default` is for a shopper whose place is not known or not listed. */
  places: { code: string; title: string; consentRequired: boolean; rule: string }[]
  /** Which purposes feed statistics (protected by differential privacy) and what clean-room partners get. */
  statistics?: NoticeStatistics
}
export interface NoticeStatistics {
  purposes: { key: string; title: string }[]
  /** In plain words: what feeds statistics and how the noise protects the shopper. */
  text: string
  cleanRoom: { key: string; title: string; partners: string[]; text: string }[]
}
export type Level = Settings['level']

export type ConsentState = AnswerOf<'/v1/subjects/{ref}/consents', 'get'>
export type ConsentDecision = ConsentState['decisions'][number]
export type ConsentRecord = ConsentState['history'][number]
export type Settings = AnswerOf<'/v1/subjects/{ref}/settings', 'get'>
/** Loose on purpose: the console extends it for its queue (the document's shape is `AnswerOf<...>`). */
export interface RightsRequest {
  id: string
  type: string
  status: string
  dueAt: string
  receivedAt?: string
  overdue?: boolean
  completedAt?: string | null
  result?: Record<string, unknown> | null
  [field: string]: unknown
}

export interface Product {
  id: string
  title: string
  category: string
  price: number
  currency: string
}
export interface DemoCatalog {
  categories: { id: string; title: string }[]
  products: Product[]
  shoppers: { ref: string; name: string }[]
}
export type DemoSession = AnswerOf<'/demo/session', 'post'>

let noticePromise: Promise<Notice> | undefined
export function loadNotice(): Promise<Notice> {
  noticePromise ??= api<Notice>('GET', '/v1/notice')
  return noticePromise
}

/** Every purpose of the notice, in the notice's order. */
export function noticePurposes(notice: Notice): (NoticePurpose & { group: string })[] {
  return notice.groups.flatMap((group) => group.purposes.map((p) => ({ ...p, group: group.id })))
}

export function formatDate(iso: string): string {
  const date = new Date(iso)
  return Number.isNaN(date.getTime())
    ? iso
    : date.toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }) +
        ' UTC'
}
