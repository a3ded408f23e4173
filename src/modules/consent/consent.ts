/**
 * Consent records and decisions: the types every module shares. Records are append-only; the current state
 * of a subject is always derived from them by `decideConsent`, never stored beside them.
 */
import { z } from 'zod'
import {
  PurposeKeySchema,
  type DefaultChoice,
  type LegalBasis,
  type PurposeKey,
} from '../charter/index.js'

export const CONSENT_METHODS = [
  'banner',
  'privacy_center',
  'api',
  'gpc',
  'progressive_prompt',
  'import',
  // The one-click unsubscribe link of an offer e-mail (offers module): only ever a withdrawal.
  'email_unsubscribe',
] as const
export const ConsentMethodSchema = z.enum(CONSENT_METHODS)
export type ConsentMethod = z.infer<typeof ConsentMethodSchema>

export const ConsentValueSchema = z.enum(['granted', 'denied'])
export type ConsentValue = z.infer<typeof ConsentValueSchema>

/** A content hash of the charter (see `renderNotice`). */
export const NoticeVersionSchema = z
  .string()
  .regex(/^[0-9a-f]{64}$/, 'a notice version is the 64-hex-digit hash from GET /v1/notice')
  .meta({
    description: 'The `version` of the notice the shopper was shown (GET /v1/notice)',
    examples: ['9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08'],
  })

/** One entry of a subject's consent ledger. */
export const ConsentRecordSchema = z.object({
  purpose: PurposeKeySchema,
  decision: ConsentValueSchema,
  method: ConsentMethodSchema,
  /** The notice the shopper saw when deciding. */
  noticeVersion: NoticeVersionSchema,
  /** Where the shopper was, as a charter jurisdiction code. */
  jurisdiction: z.string().min(1).max(16),
  recordedAt: z.date(),
})
export type ConsentRecord = z.infer<typeof ConsentRecordSchema>

/**
 * The body of `PUT /v1/subjects/{ref}/consents/{purpose}`. `gpc` is not a method a caller may choose: GPC
 * records come only from the request header, through `gpcRecords`.
 */
export const ConsentChangeSchema = z.strictObject({
  decision: ConsentValueSchema,
  method: z
    .enum(['banner', 'privacy_center', 'api', 'progressive_prompt', 'import', 'email_unsubscribe'])
    .default('api')
    .meta({
      description:
        'Where the shopper made the choice (email_unsubscribe: the link in an offer e-mail, denials only)',
      examples: ['banner'],
    }),
  noticeVersion: NoticeVersionSchema,
})
export type ConsentChange = z.infer<typeof ConsentChangeSchema>

/**
 * `on_device`: history-based like `personal` (and under the same consent), but the history stays in the
 * shopper's browser: the server stores no event of theirs (the event gate) and the SDK ranks there.
 */
export const PersonalizationLevelSchema = z.enum(['off', 'session', 'personal', 'on_device'])
export type PersonalizationLevel = z.infer<typeof PersonalizationLevelSchema>

/**
 * Why a decision came out as it did.
 * - `explicit_grant`, `explicit_denial`: the shopper's latest record for the purpose.
 * - `jurisdiction_default`: no record, and the purpose is not based on consent; the default where the
 *   shopper is decides (opt_out: allowed, opt_in: denied).
 * - `gpc`: Global Privacy Control opted the shopper out of a sale/sharing purpose.
 * - `restricted`: the shopper asked to restrict processing.
 * - `no_record`: no record for a consent-based purpose: denied.
 * - `not_consent_based`: a contract purpose, needed to serve the shopper.
 * - `undeclared_purpose`: the charter does not declare the purpose: denied.
 */
export const CONSENT_REASONS = [
  'explicit_grant',
  'explicit_denial',
  'jurisdiction_default',
  'gpc',
  'restricted',
  'no_record',
  'not_consent_based',
  'undeclared_purpose',
] as const
export type ConsentReason = (typeof CONSENT_REASONS)[number]

export interface ConsentDecision {
  purpose: PurposeKey
  allowed: boolean
  reason: ConsentReason
  /** The legal basis processing rests on when allowed (undefined for an undeclared purpose). */
  basis: LegalBasis | undefined
  /** The jurisdiction code that was applied (an unknown one becomes `default`). */
  jurisdiction: string
  /** The default that applied, when the decision came from it. */
  default?: DefaultChoice
  /** The record the decision rests on, when there is one. */
  record?: ConsentRecord
}

/** What a response carries to ask the shopper about one purpose. */
export interface ConsentPrompt {
  purpose: PurposeKey
  title: string
  /** What the shopper gets if they say yes, in plain words. */
  benefit: string
  noticeVersion: string
}

/** A prompt that was shown: kept by the caller so prompts are not repeated too often. */
export interface PromptShown {
  purpose: PurposeKey
  shownAt: Date
}

/** A jurisdiction code as callers state it (query or body). */
export const JurisdictionCodeSchema = z
  .string()
  .min(1)
  .max(16)
  .meta({
    description: 'Where the shopper is: a jurisdiction code of the charter',
    examples: ['UK'],
  })

/** A decision as the API shows it. */
export const ConsentDecisionOutSchema = z.object({
  purpose: z.string(),
  allowed: z.boolean(),
  reason: z.string(),
  basis: z.string().nullable(),
  jurisdiction: z.string(),
})

export function decisionOut(decision: ConsentDecision): z.infer<typeof ConsentDecisionOutSchema> {
  return {
    purpose: decision.purpose,
    allowed: decision.allowed,
    reason: decision.reason,
    basis: decision.basis ?? null,
    jurisdiction: decision.jurisdiction,
  }
}
