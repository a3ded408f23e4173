import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { isResponseSerializationError } from 'fastify-type-provider-zod'
import { AppError, type ErrorCode, type FieldIssue, isAppError } from '../lib/errors.js'
import { buildProblem } from './problem.js'

interface ValidationEntry {
  instancePath?: string
  message?: string
  params?: Record<string, unknown>
}

/** Turns Fastify's schema errors into `{field, reason}` pairs such as `body.events.0.type`. */
function fieldIssues(error: FastifyError): FieldIssue[] {
  const context =
    (error as FastifyError & { validationContext?: string }).validationContext ?? 'body'
  const entries = (error.validation ?? []) as ValidationEntry[]
  return entries.map((entry) => {
    const pathParts = (entry.instancePath ?? '').split('/').filter((part) => part !== '')
    const missing = entry.params?.missingProperty
    if (typeof missing === 'string') pathParts.push(missing)
    return {
      field: [context, ...pathParts].join('.'),
      reason: entry.message ?? 'is invalid',
    }
  })
}

function codeForFrameworkError(error: FastifyError): ErrorCode | undefined {
  const status = error.statusCode ?? 500
  if (
    error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' ||
    error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY'
  ) {
    return 'malformed_json'
  }
  if (error instanceof SyntaxError && status === 400) return 'malformed_json'
  if (status === 413) return 'payload_too_large'
  if (status === 415) return 'unsupported_media_type'
  if (status === 404) return 'not_found'
  if (status === 405) return 'method_not_allowed'
  if (status >= 400 && status < 500) return 'validation_failed'
  return undefined
}

function send(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.code(status).type('application/problem+json; charset=utf-8').send(body)
}

/**
 * The one place where errors become HTTP responses: `AppError` keeps its code and status, schema
 * failures become 400s naming each field, and anything unknown becomes a 500 whose cause is logged
 * (with the request id) but never sent.
 */
export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (isAppError(error)) {
      if (error.cause !== undefined)
        request.log.warn({ err: error.cause, code: error.code }, 'request failed')
      const problem = buildProblem(error.code, error.message, request.id, {
        issues: error.issues,
        details: error.details,
      })
      return send(reply, error.status, problem)
    }
    if (error.validation !== undefined) {
      const issues = fieldIssues(error)
      const first = issues[0]
      const detail =
        first === undefined ? 'The request is not valid' : `${first.field}: ${first.reason}`
      return send(reply, 400, buildProblem('validation_failed', detail, request.id, { issues }))
    }
    if (!isResponseSerializationError(error)) {
      const code = codeForFrameworkError(error)
      if (code !== undefined) {
        const problem = buildProblem(code, publicMessage(code), request.id)
        const status = error.statusCode ?? problem.status
        return send(reply, status >= 400 && status < 500 ? status : problem.status, problem)
      }
    }
    request.log.error({ err: error }, 'unhandled error')
    return send(
      reply,
      500,
      buildProblem('internal', `Something went wrong; quote request id ${request.id}`, request.id),
    )
  })

  app.setNotFoundHandler((request, reply) => {
    send(
      reply,
      404,
      buildProblem('route_not_found', `No route ${request.method} for this path`, request.id),
    )
  })
}

/** Messages for framework errors are ours, not the framework's, so no input is echoed back. */
function publicMessage(code: ErrorCode): string {
  switch (code) {
    case 'malformed_json':
      return 'body: is not valid JSON'
    case 'payload_too_large':
      return 'body: is larger than the server accepts'
    case 'unsupported_media_type':
      return 'Content-Type: send application/json'
    default:
      return 'The request is not valid'
  }
}

export { AppError }
