/**
 * The federated module's HTTP shapes (issue 22 part B): a batch of locally differentially private
 * pair reports, with no subject, session or cookie, and the terms a browser needs to make them.
 */
import { z } from 'zod'

export const WireReportSchema = z.strictObject({
  /** The hash row the browser drew (0 .. k-1). */
  row: z.int().min(0).max(1023),
  /** The m noisy bits, packed 8 to a byte, base64. */
  bits: z.string().min(4).max(1400),
})

export const ContributionBatchSchema = z.strictObject({
  /** The epsilon every report was made at: the charter's epsilon per contribution. */
  epsilon: z.number().positive().max(20),
  /** The sketch's shape: must be the one `GET /v1/federated/terms` gives. */
  sketch: z.strictObject({ m: z.int(), k: z.int() }),
  /** At most one day's reports (the charter's epsilon per day over per contribution). */
  reports: z.array(WireReportSchema).min(1).max(20),
})
export type ContributionBatch = z.infer<typeof ContributionBatchSchema>

export const ContributionReceiptSchema = z.object({ accepted: z.int() })

export const FederatedTermsSchema = z.object({
  purpose: z.string(),
  epsilonPerContribution: z.number(),
  epsilonPerDay: z.number(),
  reportsPerDay: z.int(),
  sketch: z.object({ m: z.int(), k: z.int() }),
})
export type FederatedTermsAnswer = z.infer<typeof FederatedTermsSchema>
