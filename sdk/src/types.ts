/** Shapes of Candor's HTTP answers that the SDK reads. More fields are welcome; these are the minimum. */

export type PersonalizationLevel = 'off' | 'session' | 'personal'

/** One piece of evidence behind a recommendation: a plain string, or an object the server describes. */
export type Evidence = string | Record<string, unknown>

export interface Explanation {
  kind: string
  evidence: Evidence[]
  sentence: string
}

export interface RecommendedItem {
  id: string
  title: string
  explanation: Explanation
  links?: Record<string, string> | string[] | undefined
  [field: string]: unknown
}

export interface RecommendationResponse {
  recommId: string
  level: PersonalizationLevel
  levelReason: string
  items: RecommendedItem[]
  prompt?: ConsentPrompt | undefined
}

export interface ConsentPrompt {
  purpose: string
  title: string
  benefit: string
  noticeVersion: string
}

export interface ConsentDecision {
  purpose: string
  allowed: boolean
  reason: string
}

export interface ConsentState {
  noticeVersion: string
  decisions: ConsentDecision[]
  history: { purpose: string; decision: 'granted' | 'denied'; method: string; recordedAt: string }[]
}

export interface TrackedEvent {
  id: string
  type: string
  subject?: string
  session?: string
  item?: string
  quantity?: number
  price?: number
  currency?: string
  query?: string
  placement?: string
  recommId?: string
  kind?: string
  rating?: number
  timestamp: string
}

export type EventFields = Omit<
  TrackedEvent,
  'id' | 'type' | 'subject' | 'session' | 'timestamp'
> & {
  timestamp?: string
}
