import { z } from 'zod'
import type { Db } from '../../storage/db.js'
import { CustomerRefSchema, VaultDataSchema } from '../identity/index.js'

export const RIGHTS_TYPES = [
  'access',
  'portability',
  'rectification',
  'erasure',
  'restriction',
  'objection',
] as const
export const RightsTypeSchema = z.enum(RIGHTS_TYPES)
export type RightsType = z.infer<typeof RightsTypeSchema>

export const RIGHTS_STATUSES = [
  'received',
  'verified',
  'in_progress',
  'completed',
  'denied',
] as const
export type RightsStatus = (typeof RIGHTS_STATUSES)[number]

/** GDPR (EU, UK and elsewhere by default) or CCPA (California): they set the deadline. */
export type Regime = 'gdpr' | 'ccpa'

/** How the request reached us: the shopper themself (needs a one-time code) or staff on their behalf. */
export type Channel = 'self_service' | 'staff'

/** What a rectification asks: corrected identifying data, events that are not theirs, wrong inferences. */
export const RectificationSchema = z.strictObject({
  vault: VaultDataSchema.optional().describe(
    'Corrected identifying data (replaces the fields given)',
  ),
  notMyEvents: z
    .array(z.string().min(1).max(200))
    .max(1000)
    .optional()
    .describe('Event ids that are not theirs'),
  removeInferences: z
    .boolean()
    .optional()
    .describe('Forget what the recommender inferred from their history'),
})
export type Rectification = z.infer<typeof RectificationSchema>

export const CreateRightsRequestSchema = z.strictObject({
  type: RightsTypeSchema,
  subject: CustomerRefSchema,
  jurisdiction: z
    .string()
    .min(1)
    .max(16)
    .optional()
    .describe('Where the shopper is (sets the deadline)'),
  rectification: RectificationSchema.optional(),
  /** For restriction: lift an earlier restriction instead of placing one. */
  lift: z.boolean().optional(),
})
export type CreateRightsRequest = z.infer<typeof CreateRightsRequestSchema>

export interface RightsRequest {
  id: string
  type: RightsType
  subjectId: string
  status: RightsStatus
  regime: Regime
  jurisdiction: string
  channel: Channel
  receivedAt: string
  dueAt: string
  extensionReason: string | null
  verifiedAt: string | null
  completedAt: string | null
  deniedReason: string | null
  stepsDone: string[]
  result: Record<string, unknown> | null
}

export const RightsRequestOutSchema = z.object({
  id: z.string(),
  type: RightsTypeSchema,
  status: z.enum(RIGHTS_STATUSES),
  regime: z.enum(['gdpr', 'ccpa']),
  jurisdiction: z.string(),
  channel: z.enum(['self_service', 'staff']),
  receivedAt: z.string(),
  dueAt: z.string(),
  overdue: z.boolean(),
  extensionReason: z.string().nullable(),
  verifiedAt: z.string().nullable(),
  completedAt: z.string().nullable(),
  deniedReason: z.string().nullable(),
  result: z.record(z.string(), z.unknown()).nullable(),
  attemptsLeft: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe(
      'While the request waits for its one-time code: how many wrong codes it still accepts',
    ),
})

/** The answer to a resend: the new code's expiry, and the tries and resends the request has left. */
export const CodeStateOutSchema = z.object({
  expiresAt: z.string(),
  attemptsLeft: z.number().int().min(0),
  resendsLeft: z.number().int().min(0),
})

/**
 * What every module that holds data on a subject provides to the rights module. Each module erases and
 * exports its own data; the rights module never touches another module's tables.
 */
export interface SubjectDataParticipant {
  /** A short, stable name: also the step name in the erasure job and the section of the export. */
  name: string
  exportSubject: (subjectId: string) => Promise<unknown>
  /** Deletes everything the module holds on the subject, inside the given transaction; returns counts. */
  eraseSubject: (executor: Db, subjectId: string) => Promise<Record<string, number>>
  /** Applies a rectification's parts this module owns (optional). */
  rectify?: (
    executor: Db,
    subjectId: string,
    input: Rectification,
  ) => Promise<Record<string, number>>
  /** Removes the subject from trained models at once, for objection to profiling (optional). */
  forgetInModels?: (subjectId: string) => Promise<void>
}
