import { z } from 'zod'
import { ERROR_CODES, type ErrorCode, type FieldIssue } from '../lib/errors.js'

/** The RFC 9457 problem document every error response carries. */
export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string(),
    requestId: z.string(),
    errors: z.array(z.object({ field: z.string(), reason: z.string() })).optional(),
  })
  .catchall(z.unknown())
  .meta({ id: 'Problem' })
export type Problem = z.infer<typeof ProblemSchema>

export function problemType(code: ErrorCode): string {
  return `urn:candor:problem:${code}`
}

export function buildProblem(
  code: ErrorCode,
  detail: string,
  requestId: string,
  extra: { issues?: FieldIssue[] | undefined; details?: Record<string, unknown> | undefined } = {},
): Problem {
  const entry = ERROR_CODES[code]
  return {
    ...(extra.details ?? {}),
    type: problemType(code),
    title: entry.title,
    status: entry.status,
    detail,
    code,
    requestId,
    ...(extra.issues === undefined ? {} : { errors: extra.issues }),
  }
}
