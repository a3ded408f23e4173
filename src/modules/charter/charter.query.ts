/**
 * Small read-only questions other modules ask of a charter, so they never walk its structure themselves.
 */
import {
  REQUIRED_PURPOSES,
  type Charter,
  type DefaultChoice,
  type EventField,
  type EventType,
  type Purpose,
  type PurposeKey,
} from './charter.js'
import { resolveDefault } from './charter.rules.js'

/** The declared purpose, or undefined for a key the charter does not declare. */
export function findPurpose(charter: Charter, key: PurposeKey): Purpose | undefined {
  return Object.hasOwn(charter.purposes, key) ? charter.purposes[key] : undefined
}

/** Jurisdiction codes the charter names; an unknown code is treated as `default`. */
export function resolveJurisdiction(charter: Charter, jurisdiction: string | undefined): string {
  return jurisdiction !== undefined && Object.hasOwn(charter.jurisdictions, jurisdiction)
    ? jurisdiction
    : 'default'
}

/** The default choice for a purpose where the shopper is (opt_in for contract purposes is never asked). */
export function defaultChoice(
  charter: Charter,
  purpose: Purpose,
  jurisdiction: string | undefined,
): DefaultChoice {
  return resolveDefault(purpose, resolveJurisdiction(charter, jurisdiction))
}

/** Purposes that Global Privacy Control opts out of: sale, sharing and cross-context advertising. */
export function saleOrSharingPurposes(charter: Charter): PurposeKey[] {
  return Object.entries(charter.purposes)
    .filter(([, p]) => p.saleOrSharing)
    .map(([k]) => k)
}

/** Purposes whose stored events may feed differentially private statistics (`aggregateAnalytics`). */
export function aggregateAnalyticsPurposes(charter: Charter): PurposeKey[] {
  return Object.entries(charter.purposes)
    .filter(([, p]) => p.aggregateAnalytics === true)
    .map(([k]) => k)
}

/** Clean-room purposes (`cleanRoom`): a vendor listing one gets partner keys. */
export function cleanRoomPurposes(charter: Charter): PurposeKey[] {
  return Object.entries(charter.purposes)
    .filter(([, p]) => p.cleanRoom === true)
    .map(([k]) => k)
}

/** Purposes that cover an event type: the event may be kept only if one of them is allowed. */
export function purposesForEvent(charter: Charter, type: EventType): PurposeKey[] {
  return Object.entries(charter.purposes)
    .filter(([, p]) => p.events[type] !== undefined)
    .map(([k]) => k)
}

/**
 * The fields of an event type that the given (allowed) purposes declare, in a stable order. The event
 * pipeline keeps these and drops the rest; an empty result means the event may not be kept at all.
 *
 * @example
 *   eventFieldsFor(charter, 'purchase', ['analytics.reporting'])  // ['item', 'quantity', 'price', ...]
 */
export function eventFieldsFor(
  charter: Charter,
  type: EventType,
  purposes: readonly PurposeKey[],
): EventField[] {
  const fields = new Set<EventField>()
  for (const key of purposes) {
    for (const field of findPurpose(charter, key)?.events[type] ?? []) fields.add(field)
  }
  return [...fields].sort()
}

/** The longest retention, in days, among the given purposes (data kept for several purposes). */
export function retentionDaysFor(charter: Charter, purposes: readonly PurposeKey[]): number {
  return Math.max(0, ...purposes.map((k) => findPurpose(charter, k)?.retentionDays ?? 0))
}

/**
 * The touchpoints Candor itself serves, by the key their cap is declared under in the charter:
 * recommendation answers (`GET /v1/recommendations` at the `session` or `personal` level) and the
 * progressive consent prompt a recommendation answer may carry.
 */
export const SERVED_TOUCHPOINTS = {
  recommendations: 'recommendations_widget',
  consentPrompt: 'consent_prompt',
} as const

/** One window of a touchpoint's frequency cap: at most `max` times from `startsAt` until `resetsAt`. */
export interface CapWindow {
  touchpoint: string
  max: number
  perDays: number
  /** The purposes the touchpoint serves (a prompt for one of them counts towards the cap). */
  purposes: readonly PurposeKey[]
  startsAt: Date
  resetsAt: Date
}

const DAY = 86_400_000

/**
 * The window of `touchpoint`'s declared cap that `now` falls in, or undefined when the charter declares
 * no such touchpoint (nothing to cap). Windows are fixed: `perDays` UTC days each, counted from the Unix
 * epoch, so "at most 50 times every day" resets at midnight UTC, the same instant for every process.
 */
export function capWindow(charter: Charter, touchpoint: string, now: Date): CapWindow | undefined {
  const declared = Object.hasOwn(charter.touchpoints, touchpoint)
    ? charter.touchpoints[touchpoint]
    : undefined
  if (declared === undefined) return undefined
  const { max, perDays } = declared.frequencyCap
  const length = perDays * DAY
  const start = Math.floor(now.getTime() / length) * length
  return {
    touchpoint,
    max,
    perDays,
    purposes: declared.purposes,
    startsAt: new Date(start),
    resetsAt: new Date(start + length),
  }
}

export { REQUIRED_PURPOSES }
