/**
 * The OpenAPI 3.1 document's generic parts, derived in one place from what every route already declares:
 * who may call it (`config.access`, see `auth.ts`) becomes its `security` requirement and a sentence in
 * its description; its inputs, its protection and its path parameters become the problem+json error
 * responses it can answer with (the `Problem` schema of `problem.ts`, one example per error code). A
 * route adds to these only the errors its service raises (`config.problems`), so a new route is
 * documented like the others without anyone remembering to.
 */
import { STATUS_CODES } from 'node:http'
import type { FastifyDynamicSwaggerOptions } from '@fastify/swagger'
import type { RouteOptions } from 'fastify'
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { ERROR_CODES, type ErrorCode } from '../lib/errors.js'
import type { Role } from '../modules/auth/index.js'
import type { Access } from './auth.js'
import { buildProblem } from './problem.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * Error codes this route's service may raise beyond the ones every route of its kind gets (see
     * `genericProblems`): documented as its problem+json responses.
     */
    problems?: readonly ErrorCode[]
  }
}

type Json = Record<string, unknown>

/** A value of type T, or the same written `as const` (read-only at every level). */
export type Example<T> = T extends (infer U)[]
  ? readonly Example<U>[]
  : T extends object
    ? { readonly [K in keyof T]: Example<T[K]> }
    : T

/**
 * A schema with the example the document shows for it (as its media type's `example`, see
 * `liftExample`): a whole request body or answer as a client sends or gets it. Typed by what the schema
 * accepts, so an example with a field the schema does not have, or without one it needs, does not
 * compile; `test/openapi.test.ts` also validates every example against its schema in the document.
 *
 * @example
 * response: { 200: withExample(z.object({ upserted: z.int() }), { upserted: 2 }) }
 */
export function withExample<T extends z.ZodType>(schema: T, example: Example<z.input<T>>): T {
  return schema.meta({ examples: [example] })
}

/**
 * A response that is not JSON (a page, a script, the metrics text), for a route's `response`: each
 * media type it may answer with, its text as a string, and an example of it.
 *
 * @example
 * response: { 200: textAnswer('The page', { 'text/html': '<!doctype html>...' }) }
 */
export function textAnswer(
  description: string,
  examples: Record<string, string>,
): { description: string; content: Record<string, { schema: z.ZodString }> } {
  const content: Record<string, { schema: z.ZodString }> = {}
  for (const [media, example] of Object.entries(examples))
    content[media] = { schema: withExample(z.string(), example) }
  return { description, content }
}

/**
 * The security schemes: both are bearer credentials, told apart by their prefix. The roles come from
 * the caller (the auth module's `ROLES`), so this file imports no module at run time: every routes file
 * imports it, and a module's index.ts exports its routes.
 */
export const securitySchemes = (roles: readonly Role[]) =>
  ({
    apiKey: {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'ck_...',
      description:
        'An API key (`ck_...`), created with `candor keys create --role ROLE` or `POST /v1/admin/keys`. ' +
        `Each key has one role (${roles.map((r) => `\`${r}\``).join(', ')}); every operation lists ` +
        'the roles it accepts as the scopes of its `apiKey` requirement.',
    },
    shopperToken: {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'st....',
      description:
        'A shopper token (`st....`) from `POST /v1/shopper-tokens`: it reaches only its own subject, and ' +
        'only the operations that accept a `shopperToken`.',
    },
  }) as const

/** What the example of each error code says (a new code without one does not compile). */
const EXAMPLE_DETAIL: Record<ErrorCode, string> = {
  validation_failed: 'The request is not valid',
  malformed_json: 'body: is not valid JSON',
  unauthenticated: 'This route needs an API key or shopper token',
  forbidden: 'The storefront role may not call this route',
  consent_required: 'This shopper has not agreed to this purpose',
  privacy_budget_exhausted:
    'This query needs rho 0.02 but 0.005 of the budget is left until 2026-03-31T09:00:00.000Z',
  not_found: 'No such resource',
  route_not_found: 'No route GET for this path',
  subject_not_found: 'No such subject',
  purpose_not_found: 'The charter declares no purpose marketing.email',
  method_not_allowed: 'Method not allowed',
  conflict: 'This request is already completed',
  notice_outdated: 'noticeVersion: the privacy notice has changed since; show the current one',
  payload_too_large: 'body: is larger than the server accepts',
  unsupported_media_type: 'Content-Type: send application/json',
  charter_invalid: 'candor.charter.yaml:12: purposes.0.retentionDays: must be a whole number',
  tcf_string_invalid: 'tcString: is not a valid IAB TCF v2 consent string',
  rate_limited: 'Too many requests from this caller; slow down and retry shortly',
  auth_rate_limited: 'Too many failed authentications from this address; retry in 42 s',
  internal: 'Something went wrong; quote request id req_3f9c2a7b1d4e8f60',
  unavailable: 'The database cannot be reached',
}
const EXAMPLE_REQUEST_ID = 'req_3f9c2a7b1d4e8f60'

/** A path parameter that names something that may not exist, and the error when it does not. */
function missingCodeOf(param: string): ErrorCode | undefined {
  // A customer reference or a session id is answered for before Candor has seen it (no consent yet,
  // nothing held): never a 404.
  if (param === 'ref' || param === 'session') return undefined
  if (param === 'purpose') return 'purpose_not_found'
  return 'not_found'
}

/**
 * The errors any route of this kind can answer with: the checks of the error handler, the route guard
 * and the rate limit, which run before the route's own code.
 */
export function genericProblems(
  operation: { hasBody: boolean; hasInput: boolean; pathParams: readonly string[] },
  access: Access,
): ErrorCode[] {
  const codes: ErrorCode[] = []
  if (operation.hasBody || operation.hasInput) codes.push('validation_failed')
  if (operation.hasBody) codes.push('malformed_json', 'payload_too_large', 'unsupported_media_type')
  if (!('public' in access)) codes.push('unauthenticated', 'forbidden', 'auth_rate_limited')
  for (const param of operation.pathParams) {
    const code = missingCodeOf(param)
    if (code !== undefined) codes.push(code)
  }
  codes.push('rate_limited', 'internal')
  return codes
}

/** The security requirement of an operation: any of its API-key roles, or a shopper token. */
export function securityOf(access: Access): Json[] | undefined {
  if ('public' in access) return undefined
  const anyOf: Json[] = []
  if (access.roles.length > 0) anyOf.push({ apiKey: [...access.roles] })
  if (access.shopper === true) anyOf.push({ shopperToken: [] })
  return anyOf
}

function whoMayCall(access: Access): string {
  if ('public' in access) return '**Who may call:** anyone; no credential is needed.'
  const roles = (list: readonly Role[]) => list.map((r) => `\`${r}\``).join(', ')
  const parts: string[] = []
  if (access.roles.length > 0) parts.push(`an API key with role ${roles(access.roles)}`)
  if (access.shopper === true) parts.push('a shopper token, for its own subject only')
  return `**Who may call:** ${parts.join('; or ')}.`
}

function problemResponse(status: number, codes: readonly ErrorCode[], invalidField: string): Json {
  const examples: Json = {}
  for (const code of codes) {
    const invalid = { field: invalidField, reason: 'Invalid input' }
    const value =
      code === 'validation_failed'
        ? buildProblem(code, `${invalid.field}: ${invalid.reason}`, EXAMPLE_REQUEST_ID, {
            issues: [invalid],
          })
        : buildProblem(code, EXAMPLE_DETAIL[code], EXAMPLE_REQUEST_ID)
    examples[code] = { summary: ERROR_CODES[code].title, value }
  }
  const response: Json = {
    description: codes.map((code) => `\`${code}\`: ${ERROR_CODES[code].title}`).join('; '),
    content: {
      'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' }, examples },
    },
  }
  if (status === 429) {
    response.headers = {
      'retry-after': {
        description: 'Seconds until the caller may send again',
        schema: { type: 'integer', minimum: 0 },
      },
    }
  }
  return response
}

interface RouteFacts {
  access: Access
  problems: readonly ErrorCode[]
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'trace'] as const

/** Fastify's `/v1/items/:id` as OpenAPI writes it, `/v1/items/{id}`. */
function openApiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}')
}

/** Zod writes every int's safe-integer bounds out; they say nothing and clutter every example. */
function dropSafeIntegerBounds(node: unknown): void {
  if (Array.isArray(node)) {
    for (const entry of node) dropSafeIntegerBounds(entry)
    return
  }
  if (node === null || typeof node !== 'object') return
  const object = node as Json
  if (object.minimum === Number.MIN_SAFE_INTEGER) delete object.minimum
  if (object.maximum === Number.MAX_SAFE_INTEGER) delete object.maximum
  for (const value of Object.values(object)) dropSafeIntegerBounds(value)
}

/**
 * The examples a schema carries (`.meta({ examples })`, see `withExample`), moved to its media type's
 * example: what Swagger UI shows and puts in "Try it out" (kept once, not twice).
 */
function liftExample(media: Json | undefined): void {
  if (media === undefined || media.example !== undefined || media.examples !== undefined) return
  const schema = media.schema as Json | undefined
  const examples = schema?.examples
  if (schema === undefined || !Array.isArray(examples) || examples.length === 0) return
  media.example = examples[0]
  delete schema.examples
}

/** An input field of the operation, for its `validation_failed` example (`body.events`, `query.limit`). */
function firstInputField(body: Json | undefined, parameters: unknown[]): string {
  const media = Object.values((body?.content ?? {}) as Record<string, Json>)[0]
  const required = (media?.schema as Json | undefined)?.required
  if (Array.isArray(required) && typeof required[0] === 'string') return `body.${required[0]}`
  if (body !== undefined) return 'body'
  const param = parameters[0] as { in?: string; name?: string } | undefined
  // Named as the error handler names them: Fastify's validation contexts.
  const context: Record<string, string> = {
    path: 'params',
    query: 'querystring',
    header: 'headers',
  }
  return param?.in !== undefined && param.name !== undefined
    ? `${context[param.in] ?? param.in}.${param.name}`
    : 'body'
}

/** Adds security, the caller sentence and the error responses to one operation. */
function completeOperation(operation: Json, path: string, facts: RouteFacts): void {
  const security = securityOf(facts.access)
  if (security !== undefined) operation.security = security
  const description = typeof operation.description === 'string' ? operation.description : ''
  operation.description = [description, whoMayCall(facts.access)]
    .filter((s) => s !== '')
    .join('\n\n')

  const responses = (operation.responses ??= {}) as Json
  for (const [status, response] of Object.entries(responses)) {
    const r = response as Json
    if (r.description === 'Default Response') r.description = STATUS_CODES[Number(status)] ?? status
    for (const media of Object.values((r.content ?? {}) as Record<string, Json>)) liftExample(media)
  }
  const body = operation.requestBody as Json | undefined
  for (const media of Object.values((body?.content ?? {}) as Record<string, Json>))
    liftExample(media)

  const pathParams = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] ?? '')
  const parameters = (operation.parameters ?? []) as unknown[]
  const codes = new Set([
    ...genericProblems(
      { hasBody: body !== undefined, hasInput: parameters.length > 0, pathParams },
      facts.access,
    ),
    ...facts.problems,
  ])
  const byStatus = new Map<number, ErrorCode[]>()
  for (const code of codes) {
    const status = ERROR_CODES[code].status
    byStatus.set(status, [...(byStatus.get(status) ?? []), code])
  }
  const invalidField = firstInputField(body, parameters)
  for (const [status, list] of [...byStatus].sort((a, b) => a[0] - b[0])) {
    responses[String(status)] ??= problemResponse(status, list, invalidField)
  }
}

/**
 * The options of `@fastify/swagger`: fastify-type-provider-zod's transforms (zod schemas to JSON
 * Schema), then this module's additions to every operation.
 */
export function swaggerOptions(
  info: { title: string; version: string; description: string },
  roles: readonly Role[],
): FastifyDynamicSwaggerOptions {
  // Filled by `transform` (once per route, as the document is built) and read by `transformObject`
  // (once, at the end of the same build).
  const facts = new Map<string, RouteFacts>()
  return {
    openapi: {
      openapi: '3.1.0',
      info,
      components: { securitySchemes: securitySchemes(roles) },
    },
    transform: (document) => {
      const route: RouteOptions = document.route
      const access = route.config?.access
      if (access !== undefined) {
        const methods = Array.isArray(route.method) ? route.method : [route.method]
        for (const method of methods) {
          facts.set(`${method.toLowerCase()} ${openApiPath(document.url)}`, {
            access,
            problems: route.config?.problems ?? [],
          })
        }
      }
      return jsonSchemaTransform(document)
    },
    transformObject: (document) => {
      const openapi = jsonSchemaTransformObject(document) as Json
      const paths = (openapi.paths ?? {}) as Record<string, Json>
      for (const [path, item] of Object.entries(paths)) {
        for (const method of METHODS) {
          const operation = item[method] as Json | undefined
          const routeFacts = facts.get(`${method} ${path}`)
          if (operation !== undefined && routeFacts !== undefined)
            completeOperation(operation, path, routeFacts)
        }
      }
      dropSafeIntegerBounds(openapi)
      return openapi
    },
  }
}
