/**
 * The one registry of error codes. Every error a caller can see has a stable `code` here, with the HTTP
 * status it maps to and a short title. Services throw `AppError(code, ...)`; only
 * `http/error-handler.ts` turns it into `application/problem+json`.
 */
export const ERROR_CODES = {
  validation_failed: { status: 400, title: 'The request is not valid' },
  malformed_json: { status: 400, title: 'The request body is not valid JSON' },
  unauthenticated: { status: 401, title: 'Authentication is required' },
  forbidden: { status: 403, title: 'This caller may not do this' },
  consent_required: { status: 403, title: 'Consent is required for this purpose' },
  privacy_budget_exhausted: {
    status: 403,
    title: "This key's privacy budget cannot pay for the query until it renews",
  },
  not_found: { status: 404, title: 'Not found' },
  route_not_found: { status: 404, title: 'No such route' },
  subject_not_found: { status: 404, title: 'No such subject' },
  purpose_not_found: { status: 404, title: 'The data charter declares no such purpose' },
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  conflict: { status: 409, title: 'Conflict' },
  notice_outdated: { status: 409, title: 'The consent refers to an outdated privacy notice' },
  payload_too_large: { status: 413, title: 'The request body is too large' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  charter_invalid: { status: 422, title: 'The data charter is not valid' },
  tcf_string_invalid: { status: 422, title: 'The IAB TCF consent string is not valid' },
  rate_limited: { status: 429, title: 'Too many requests' },
  auth_rate_limited: { status: 429, title: 'Too many failed authentications from this address' },
  internal: { status: 500, title: 'Internal error' },
  unavailable: { status: 503, title: 'Service unavailable' },
} as const satisfies Record<string, { status: number; title: string }>

export type ErrorCode = keyof typeof ERROR_CODES

/** A problem detail naming one input field and what is wrong with it. */
export interface FieldIssue {
  field: string
  reason: string
}

export interface AppErrorOptions {
  details?: Record<string, unknown>
  issues?: FieldIssue[]
  cause?: unknown
}

/**
 * A transport-neutral error with a stable code. The message is shown to the caller, so it must never
 * contain personal data; put diagnostic detail in `cause`, which is logged but never sent.
 */
export class AppError extends Error {
  readonly code: ErrorCode
  readonly details: Record<string, unknown> | undefined
  readonly issues: FieldIssue[] | undefined

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'AppError'
    this.code = code
    this.details = options.details
    this.issues = options.issues
  }

  get status(): number {
    return ERROR_CODES[this.code].status
  }
}

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError
}
