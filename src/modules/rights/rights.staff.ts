import { z } from 'zod'
import type { Clock } from '../../lib/clock.js'
import { AppError } from '../../lib/errors.js'
import type { Db } from '../../storage/db.js'
import type { Actor, AuditLog } from '../audit/index.js'
import type { RightsRequest } from './rights.js'
import { addMonths, extendedDueDate } from './rights.deadlines.js'
import { createStaffRepository } from './rights.staff.repository.js'

/**
 * Why a request may be refused: manifestly unfounded or excessive (GDPR Art. 12(5)), the requester's
 * identity could not be verified (Art. 12(6), 11(2)), or the law exempts it (Art. 17(3), 23; the CCPA's
 * exemptions).
 */
export const DENIAL_GROUNDS = [
  'manifestly_unfounded',
  'excessive',
  'identity_not_verified',
  'legal_exemption',
] as const

export const ExtendBodySchema = z.strictObject({
  reason: z
    .string()
    .trim()
    .min(10, 'must say why, in at least 10 characters')
    .max(1000)
    .describe('Why more time is needed; shown to the shopper, never written to the audit log'),
  months: z
    .union([z.literal(1), z.literal(2)])
    .optional()
    .describe(
      'GDPR only: how many further months (1 or 2; by default 2). A CCPA extension is 45 days',
    ),
})
export type ExtendBody = z.infer<typeof ExtendBodySchema>

export const DenyBodySchema = z.strictObject({
  ground: z.enum(DENIAL_GROUNDS).describe('The legal ground (recorded in the audit log)'),
  reason: z
    .string()
    .trim()
    .min(5, 'must say why, in at least 5 characters')
    .max(500)
    .describe('The explanation the shopper sees; never written to the audit log'),
})
export type DenyBody = z.infer<typeof DenyBodySchema>

export interface StaffDeps {
  db: Db
  clock: Clock
  audit: AuditLog
  /** The stored request, or `not_found`. */
  find: (id: string) => Promise<RightsRequest>
  /** Forgets a waiting request's one-time code, inside the given transaction. */
  forgetCode: (executor: Db, id: string) => Promise<void>
}

/**
 * What staff decide on a request, beside the job that carries it out: extend its deadline once, or deny
 * it. The free-text reason goes to the shopper with the request; the audit entry names the staff key,
 * the request and (for a denial) the ground, never the text, which may mention a person.
 */
export function createStaffActions(deps: StaffDeps) {
  const repo = createStaffRepository()
  const closed = (request: RightsRequest) =>
    request.status === 'completed' || request.status === 'denied'

  return {
    /**
     * Extends once, before the deadline passes (GDPR Art. 12(3): by up to two further months, told to the
     * shopper within the first month; CCPA 1798.130(a)(2): once by 45 days within the first 45).
     */
    async extend(id: string, body: ExtendBody, actor: Actor): Promise<void> {
      const request = await deps.find(id)
      if (request.regime === 'ccpa' && body.months !== undefined) {
        throw new AppError('validation_failed', 'body.months: a CCPA extension is 45 days', {
          issues: [{ field: 'body.months', reason: 'applies to GDPR requests only' }],
        })
      }
      const now = deps.clock.now().toISOString()
      if (closed(request))
        throw new AppError('conflict', `This request is already ${request.status}`)
      if (request.extensionReason !== null)
        throw new AppError('conflict', 'This request was already extended (the law allows once)')
      if (request.dueAt < now)
        throw new AppError('conflict', 'The deadline has passed: an extension must come before it')
      const received = new Date(request.receivedAt)
      const months = body.months ?? 2
      const dueAt = (
        request.regime === 'gdpr'
          ? addMonths(received, 1 + months)
          : extendedDueDate(request.regime, received)
      ).toISOString()
      await deps.db.transaction().execute(async (trx) => {
        const done = await repo.extendOnce(trx, id, { dueAt, reason: body.reason, now })
        // Someone else acted in between: say what the request is now.
        if (!done) throw new AppError('conflict', 'This request changed meanwhile; reload it')
        await deps.audit.record(trx, {
          actor,
          action: `rights.${request.type}.extended`,
          subjectId: request.subjectId,
          details: {
            requestId: id,
            dueAt,
            ...(request.regime === 'gdpr' ? { months } : { days: 45 }),
          },
        })
      })
    },

    /** Denies a request whose work has not started, with the ground and the shopper's explanation. */
    async deny(id: string, body: DenyBody, actor: Actor): Promise<void> {
      const request = await deps.find(id)
      if (closed(request))
        throw new AppError('conflict', `This request is already ${request.status}`)
      if (request.status === 'in_progress')
        throw new AppError(
          'conflict',
          'This request is being carried out and can no longer be denied',
        )
      const now = deps.clock.now().toISOString()
      await deps.db.transaction().execute(async (trx) => {
        const done = await repo.denyWaiting(trx, id, {
          reason: body.reason,
          result: { ground: body.ground },
          now,
        })
        if (!done) throw new AppError('conflict', 'This request changed meanwhile; reload it')
        await deps.forgetCode(trx, id)
        await deps.audit.record(trx, {
          actor,
          action: `rights.${request.type}.denied`,
          subjectId: request.subjectId,
          details: { requestId: id, ground: body.ground },
        })
      })
    },
  }
}
