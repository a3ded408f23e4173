/**
 * Turning a shopper's choice into a ledger record, with the checks the API needs. Pure: the caller appends
 * the record (and audits it) in one transaction.
 */
import { AppError } from '../../lib/errors.js'
import {
  findPurpose,
  noticeVersionOf,
  resolveJurisdiction,
  type Charter,
  type PurposeKey,
} from '../charter/index.js'
import { ConsentChangeSchema, type ConsentRecord } from './consent.js'

/** How a purpose that uses a special category may be granted: a choice made for it alone. */
const EXPLICIT_METHODS: readonly string[] = ['privacy_center', 'api', 'import']

/**
 * Validate a consent change (the body of `PUT .../consents/{purpose}`) and build its record.
 *
 * - An undeclared purpose: `purpose_not_found`.
 * - A contract purpose: `validation_failed`; it cannot be switched off while the shopper uses the shop.
 * - A grant of a purpose that uses a special category through a banner or a prompt: `validation_failed`
 *   (explicit consent is given for that purpose alone, in the privacy center or the shop's own form).
 * - A grant must be informed by the notice in force: a grant quoting another notice version is refused with
 *   `notice_outdated` (the client shows the new notice and asks again). A denial is always accepted, so a
 *   withdrawal is never held up by a stale page.
 *
 * @example
 *   const record = buildConsentRecord({ charter, purpose, body: req.body, jurisdiction: 'UK', now: clock.now() })
 */
export function buildConsentRecord(input: {
  charter: Charter
  purpose: PurposeKey
  body: unknown
  jurisdiction: string | undefined
  now: Date
}): ConsentRecord {
  const { charter, purpose } = input
  const declared = findPurpose(charter, purpose)
  if (declared === undefined) {
    throw new AppError('purpose_not_found', `The data charter declares no purpose "${purpose}"`, {
      details: { purpose, purposes: Object.keys(charter.purposes) },
    })
  }
  const parsed = ConsentChangeSchema.safeParse(input.body)
  if (!parsed.success) {
    throw new AppError('validation_failed', 'The consent change is not valid', {
      issues: parsed.error.issues.map((i) => ({
        field: i.path.map(String).join('.') || '(body)',
        reason: i.message,
      })),
    })
  }
  if (declared.legalBasis === 'contract') {
    throw new AppError(
      'validation_failed',
      `"${purpose}" is needed to run the shop and cannot be switched off`,
      {
        issues: [{ field: 'purpose', reason: 'a contract purpose takes no consent' }],
      },
    )
  }
  if (parsed.data.method === 'email_unsubscribe' && parsed.data.decision === 'granted')
    throw new AppError('validation_failed', 'An unsubscribe link only withdraws', {
      issues: [{ field: 'body.method', reason: 'email_unsubscribe records only a denial' }],
    })
  // Explicit consent to a special category is given for it alone: never with "Accept all" or a prompt.
  if (
    declared.specialCategory !== undefined &&
    parsed.data.decision === 'granted' &&
    !EXPLICIT_METHODS.includes(parsed.data.method)
  ) {
    throw new AppError(
      'validation_failed',
      `"${purpose}" uses a special category: the shopper turns it on by itself, not through a ${parsed.data.method.replace('_', ' ')}`,
      {
        issues: [
          {
            field: 'body.method',
            reason: `a special-category purpose is granted only by ${EXPLICIT_METHODS.join(', ')}`,
          },
        ],
      },
    )
  }
  const current = noticeVersionOf(charter)
  if (parsed.data.decision === 'granted' && parsed.data.noticeVersion !== current) {
    throw new AppError(
      'notice_outdated',
      'The privacy notice has changed; show the new notice and ask again',
      {
        details: { noticeVersion: current },
      },
    )
  }
  return {
    purpose,
    decision: parsed.data.decision,
    method: parsed.data.method,
    noticeVersion: parsed.data.noticeVersion,
    jurisdiction: resolveJurisdiction(charter, input.jurisdiction),
    recordedAt: input.now,
  }
}
