/**
 * The one consent decision every module asks: may subject S be processed for purpose P, here and now?
 * Pure: it reads the charter and the subject's append-only records and returns an answer with its reason.
 * Nothing is cached, so a withdrawal recorded now decides the very next call.
 *
 * The rules, in order (the first that applies wins):
 * 1. A purpose the charter does not declare is denied (`undeclared_purpose`).
 * 2. A contract purpose is allowed (`not_consent_based`). It is what the shopper asked the shop to do, so
 *    neither a denial nor a restriction stops it; the API refuses consent changes for it.
 * 3. A restricted subject (GDPR Art. 18, the shopper's own request) is denied every other purpose,
 *    consented or not (`restricted`). An objection to a legitimate-interest purpose is an explicit denial.
 * 4. Global Privacy Control, for purposes marked `saleOrSharing`: a GPC record as the latest record denies
 *    (`gpc`). On a request with `Sec-GPC: 1`, the purpose is denied (`gpc`) unless the latest record is an
 *    explicit grant made after an earlier GPC record: a shopper who says yes while sending GPC is heard,
 *    while a yes given before the browser started sending GPC is overridden by it.
 * 5. The latest record for the purpose decides (`explicit_grant`, `explicit_denial`). "Latest" is by
 *    `recordedAt`, ties broken by ledger order; records dated after `now` are ignored.
 * 6. No record: a consent-based purpose is denied (`no_record`) in every jurisdiction; a
 *    legitimate-interest purpose follows the default where the shopper is (`jurisdiction_default`). The
 *    charter guarantees that a consent-based purpose never defaults to opt_out, so the two agree.
 */
import {
  type CapWindow,
  defaultChoice,
  findPurpose,
  noticeVersionOf,
  REQUIRED_PURPOSES,
  resolveJurisdiction,
  type Charter,
  type LegalBasis,
  type PurposeKey,
} from '../charter/index.js'
import type {
  ConsentDecision,
  ConsentPrompt,
  ConsentReason,
  ConsentRecord,
  PersonalizationLevel,
  PromptShown,
} from './consent.js'

export interface ConsentContext {
  charter: Charter
  /** Where the shopper is, as a charter jurisdiction code; unknown or missing means `default`. */
  jurisdiction: string | undefined
  /** The subject's consent records, all purposes, in ledger (append) order. */
  records: readonly ConsentRecord[]
  /** Processing is restricted at the subject's request. */
  restricted?: boolean
  /** The current request carries `Sec-GPC: 1`. */
  gpc?: boolean
  /** The personalization level the subject chose, when they have settings (`on_device`: store nothing). */
  level?: PersonalizationLevel
  now: Date
}

export interface ConsentQuery extends ConsentContext {
  purpose: PurposeKey
}

/** The subject's records for one purpose, as of `now`, oldest first (stable for equal timestamps). */
export function recordsFor(
  records: readonly ConsentRecord[],
  purpose: PurposeKey,
  now: Date,
): ConsentRecord[] {
  const at = now.getTime()
  const out: ConsentRecord[] = []
  let inOrder = true
  let latest = -Infinity
  for (const record of records) {
    const time = record.recordedAt.getTime()
    if (record.purpose !== purpose || time > at) continue
    if (time < latest) inOrder = false
    else latest = time
    out.push(record)
  }
  // Decided on every request: the ledger is read in time order, so the sort (stable: ties keep their
  // order) is rarely needed.
  return inOrder ? out : out.sort((a, b) => a.recordedAt.getTime() - b.recordedAt.getTime())
}

/**
 * Decide one purpose for one subject.
 *
 * @example
 *   const d = decideConsent({ charter, purpose: 'personalize.recommendations', jurisdiction: 'UK',
 *                             records, restricted: false, gpc: false, now: clock.now() })
 *   if (!d.allowed) refuse(d.reason)
 */
export function decideConsent(query: ConsentQuery): ConsentDecision {
  const { charter, purpose: key, now } = query
  const jurisdiction = resolveJurisdiction(charter, query.jurisdiction)
  const purpose = findPurpose(charter, key)
  if (purpose === undefined) {
    return {
      purpose: key,
      allowed: false,
      reason: 'undeclared_purpose',
      basis: undefined,
      jurisdiction,
    }
  }
  const basis = purpose.legalBasis
  if (basis === 'contract') return decision(key, basis, jurisdiction, true, 'not_consent_based')
  if (query.restricted === true) return decision(key, basis, jurisdiction, false, 'restricted')

  const history = recordsFor(query.records, key, now)
  const latest = history.at(-1)
  if (purpose.saleOrSharing) {
    if (latest?.method === 'gpc') return decision(key, basis, jurisdiction, false, 'gpc', latest)
    if (query.gpc === true) {
      const grantedAfterGpc =
        latest?.decision === 'granted' && history.slice(0, -1).some((r) => r.method === 'gpc')
      if (grantedAfterGpc) return decision(key, basis, jurisdiction, true, 'explicit_grant', latest)
      if (latest?.decision !== 'denied')
        return decision(key, basis, jurisdiction, false, 'gpc', latest)
    }
  }
  if (latest !== undefined) {
    return latest.decision === 'granted'
      ? decision(key, basis, jurisdiction, true, 'explicit_grant', latest)
      : decision(key, basis, jurisdiction, false, 'explicit_denial', latest)
  }
  if (basis === 'consent') return decision(key, basis, jurisdiction, false, 'no_record')
  const choice = defaultChoice(charter, purpose, jurisdiction)
  const byDefault = decision(key, basis, jurisdiction, choice === 'opt_out', 'jurisdiction_default')
  byDefault.default = choice
  return byDefault
}

/**
 * Whether an import's declared basis allows a purpose the subject has no record of their own for: a
 * purpose resting on exactly that basis, undecided by the subject (no record, or only the jurisdiction's
 * default). Never for consent: consent is each person's own act and cannot be declared in bulk, so an
 * import under `consent` keeps only the orders of customers whose ledger holds the grant (which
 * `decision.allowed` already says). An explicit denial, a GPC opt-out or a restriction always refuses.
 */
export function allowedUnderDeclaredBasis(
  declared: LegalBasis | undefined,
  decision: Pick<ConsentDecision, 'basis' | 'reason'>,
): boolean {
  return (
    declared !== undefined &&
    declared !== 'consent' &&
    decision.basis === declared &&
    (decision.reason === 'no_record' || decision.reason === 'jurisdiction_default')
  )
}

/**
 * May an event be collected for `query.purpose`? The owner's own decision (`decideConsent`), or, for an
 * import that declares a lawful basis, that basis where the owner has not decided
 * (`allowedUnderDeclaredBasis`). The one consent question the event gate asks, per owner and purpose.
 */
export function allowedToCollect(query: ConsentQuery, declaredBasis?: LegalBasis): boolean {
  const decided = decideConsent(query)
  return decided.allowed || allowedUnderDeclaredBasis(declaredBasis, decided)
}

/**
 * A decision on a declared purpose, built as one object literal: decisions are made for every event of
 * an ingest batch and every recommendation, and spreading a shared base into each answer cost more than
 * the rest of the decision.
 */
function decision(
  purpose: PurposeKey,
  basis: LegalBasis,
  jurisdiction: string,
  allowed: boolean,
  reason: ConsentReason,
  record?: ConsentRecord,
): ConsentDecision {
  return record === undefined
    ? { purpose, basis, jurisdiction, allowed, reason }
    : { purpose, basis, jurisdiction, allowed, reason, record }
}

/** Every declared purpose decided at once, in charter order: what `GET .../consents` shows. */
export function decideAll(context: ConsentContext): ConsentDecision[] {
  return Object.keys(context.charter.purposes).map((purpose) =>
    decideConsent({ ...context, purpose }),
  )
}

/**
 * The records to append when a request carries `Sec-GPC: 1`: one `denied` record with method `gpc` for each
 * sale/sharing purpose that GPC now opts the shopper out of and that has no GPC record as its latest.
 * Idempotent: appending the result and calling again returns nothing. A purpose the shopper explicitly
 * denied, or granted after an earlier GPC signal, gets no record.
 */
export function gpcRecords(context: ConsentContext & { noticeVersion?: string }): ConsentRecord[] {
  const { charter, now } = context
  const jurisdiction = resolveJurisdiction(charter, context.jurisdiction)
  const out: ConsentRecord[] = []
  for (const [purpose, declared] of Object.entries(charter.purposes)) {
    if (!declared.saleOrSharing || declared.legalBasis === 'contract') continue
    // Decide without the restriction: a GPC opt-out is recorded even while processing is restricted.
    const decision = decideConsent({ ...context, restricted: false, gpc: true, purpose })
    if (decision.reason !== 'gpc' || decision.record?.method === 'gpc') continue
    out.push({
      purpose,
      decision: 'denied',
      method: 'gpc',
      noticeVersion: context.noticeVersion ?? noticeVersionOf(charter),
      jurisdiction,
      recordedAt: now,
    })
  }
  return out
}

/** A prompt for one purpose, with the words the notice uses. */
export function consentPrompt(charter: Charter, purpose: PurposeKey): ConsentPrompt | undefined {
  const declared = findPurpose(charter, purpose)
  if (declared === undefined) return undefined
  return {
    purpose,
    title: declared.title,
    benefit: declared.benefit,
    noticeVersion: noticeVersionOf(charter),
  }
}

export type PersonalizationReason =
  'as_requested' | 'consent_required' | 'purpose_not_allowed' | 'restricted'

export interface PersonalizationDecision {
  requested: PersonalizationLevel
  effective: PersonalizationLevel
  reason: PersonalizationReason
  /** Shown instead of an error when the shopper chose a level whose purpose they have not allowed. */
  prompt?: ConsentPrompt
  /** The decision that lowered the level, when one did. */
  decision?: ConsentDecision
}

/**
 * The level of personalization to use for a request. `personal` and `on_device` need
 * `personalize.recommendations` (consent: the history personalizes, wherever it is kept); `session` needs
 * `personalize.session`. When the requested level is not allowed, the next lower
 * allowed level is used and, because choosing a level is the shopper asking, the answer carries a consent
 * prompt for it, even after an earlier denial. A restricted subject gets `off` and no prompt.
 *
 * @example
 *   decidePersonalizationLevel({ ...context, requested: 'personal' })
 *   // { requested: 'personal', effective: 'session', reason: 'consent_required', prompt: {...} }
 */
export function decidePersonalizationLevel(
  input: ConsentContext & { requested: PersonalizationLevel },
): PersonalizationDecision {
  const { requested } = input
  if (requested === 'off') return { requested, effective: 'off', reason: 'as_requested' }
  if (input.restricted === true) return { requested, effective: 'off', reason: 'restricted' }

  const session = decideConsent({ ...input, purpose: REQUIRED_PURPOSES.session })
  if (requested === 'session') {
    if (session.allowed) return { requested, effective: 'session', reason: 'as_requested' }
    return withPrompt(input.charter, {
      requested,
      effective: 'off',
      reason: 'purpose_not_allowed',
      decision: session,
    })
  }
  const personal = decideConsent({ ...input, purpose: REQUIRED_PURPOSES.personal })
  if (personal.allowed) return { requested, effective: requested, reason: 'as_requested' }
  return withPrompt(input.charter, {
    requested,
    // `on_device` asked that nothing be kept on the server, so it never falls back to `session`.
    effective: session.allowed && requested === 'personal' ? 'session' : 'off',
    reason: 'consent_required',
    decision: personal,
  })
}

function withPrompt(charter: Charter, decision: PersonalizationDecision): PersonalizationDecision {
  const prompt =
    decision.decision === undefined ? undefined : consentPrompt(charter, decision.decision.purpose)
  return prompt === undefined ? decision : { ...decision, prompt }
}

export type PromptReason =
  | 'ask'
  | 'shopper_asked'
  | 'already_decided'
  | 'denied'
  | 'recently_asked'
  | 'capped'
  | 'restricted'
  | 'not_askable'

export interface PromptDecision {
  prompt: ConsentPrompt | undefined
  reason: PromptReason
}

const DAY_MS = 86_400_000

/**
 * Progressive consent: should a response that would be better with `purpose` carry a prompt for it?
 * Yes when the shopper has not decided, at most once per purpose per `repeatAfterDays` (charter
 * `prompts.repeatAfterDays`, or the override), and never after a denial (explicit or GPC) until the shopper
 * asks (`shopperAsked`, which also skips the waiting period). Every prompt is the charter's
 * `consent_prompt` touchpoint: with its cap window given (`cap`), prompts of any purpose shown in that
 * window count, and none is offered past `cap.max` (`capped`) until the window ends.
 */
export function progressivePrompt(
  input: ConsentQuery & {
    promptsShown: readonly PromptShown[]
    shopperAsked?: boolean
    repeatAfterDays?: number
    cap?: Pick<CapWindow, 'max' | 'startsAt' | 'resetsAt'> | undefined
  },
): PromptDecision {
  const { charter, purpose, now } = input
  const declared = findPurpose(charter, purpose)
  if (declared === undefined || declared.legalBasis === 'contract')
    return { prompt: undefined, reason: 'not_askable' }
  if (input.restricted === true) return { prompt: undefined, reason: 'restricted' }
  const decision = decideConsent(input)
  if (decision.allowed) return { prompt: undefined, reason: 'already_decided' }
  const asked = input.shopperAsked === true
  const saidNo = decision.reason === 'explicit_denial' || decision.reason === 'gpc'
  if (saidNo && !asked) return { prompt: undefined, reason: 'denied' }
  if (asked) return { prompt: consentPrompt(charter, purpose), reason: 'shopper_asked' }
  const periodMs = (input.repeatAfterDays ?? charter.prompts.repeatAfterDays) * DAY_MS
  const recent = input.promptsShown.some(
    (p) =>
      p.purpose === purpose &&
      now.getTime() - p.shownAt.getTime() < periodMs &&
      p.shownAt.getTime() <= now.getTime(),
  )
  if (recent) return { prompt: undefined, reason: 'recently_asked' }
  const { cap } = input
  if (cap !== undefined) {
    const inWindow = input.promptsShown.filter(
      (p) => p.shownAt >= cap.startsAt && p.shownAt < cap.resetsAt,
    ).length
    if (inWindow >= cap.max) return { prompt: undefined, reason: 'capped' }
  }
  return { prompt: consentPrompt(charter, purpose), reason: 'ask' }
}
