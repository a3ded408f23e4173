/**
 * Shapes of Candor's HTTP answers that the SDK reads, taken from the OpenAPI document's generated types
 * (`api-types.ts`, written by `npm run api:types`), so a change to a route that the SDK relies on fails
 * its type check instead of its shoppers.
 */
import type { components, paths } from './api-types.js'

export type { components, paths }

/** The JSON body of an operation's 200 (or 201) answer, by path and method. */
export type AnswerOf<
  P extends keyof paths,
  M extends 'get' | 'put' | 'post' | 'delete',
> = paths[P][M] extends { responses: infer R }
  ? R extends { 200: { content: { 'application/json': infer B } } }
    ? B
    : R extends { 201: { content: { 'application/json': infer B } } }
      ? B
      : never
  : never
/** A type without its index signature (an event's listed fields, without "any other field"). */
type Listed<T> = { [K in keyof T as string extends K ? never : K]: T[K] }

/** The query of `GET /v1/recommendations`. */
export type RecommendationQuery = NonNullable<
  paths['/v1/recommendations']['get']['parameters']['query']
>
/** Candor's answer to `GET /v1/recommendations`, exactly as the document describes it. */
export type RecommendationAnswer = AnswerOf<'/v1/recommendations', 'get'>
export type PersonalizationLevel = RecommendationAnswer['level']
export type ConsentPrompt = NonNullable<RecommendationAnswer['prompt']>

/**
 * What `renderRow` needs of an answer: the minimum, so that a page may also render a row of its own (a
 * fallback from its catalog, say). Candor's answer always fits it (checked below, at compile time).
 */
export interface RecommendationResponse {
  recommId: string
  level: PersonalizationLevel
  levelReason: string
  items: RecommendedItem[]
  prompt?: ConsentPrompt | undefined
}
export interface RecommendedItem {
  id: string
  title: string
  explanation: Explanation
  links?: Record<string, unknown> | undefined
  [field: string]: unknown
}
export interface Explanation {
  kind: string
  evidence: Evidence[]
  sentence: string
}
/** One piece of evidence: Candor sends `{id, title}`; a page's own row may give a plain sentence. */
export type Evidence = string | Record<string, unknown>

type Fits<T extends true> = T
export type AnswerFitsRow = Fits<RecommendationAnswer extends RecommendationResponse ? true : false>

export type ConsentState = AnswerOf<'/v1/subjects/{ref}/consents', 'get'>
export type ConsentDecision = ConsentState['decisions'][number]
export type ConsentMethod = NonNullable<
  paths['/v1/subjects/{ref}/consents/{purpose}']['put']['requestBody']
>['content']['application/json']['method']

type ApiEvent = paths['/v1/events']['post']['requestBody'] extends
  { content: { 'application/json': { events: (infer E)[] } } } | undefined
  ? E
  : never
/** An event as the SDK sends it: the fields the document lists, always with its time. */
export type TrackedEvent = Listed<ApiEvent> & { timestamp: string }
export type EventType = TrackedEvent['type']

export type EventFields = Omit<
  TrackedEvent,
  'id' | 'type' | 'subject' | 'session' | 'timestamp'
> & {
  timestamp?: string
}

export type FeedbackKind = NonNullable<
  paths['/v1/feedback']['post']['requestBody']
>['content']['application/json']['kind']
