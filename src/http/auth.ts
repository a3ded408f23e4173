import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify'
import { AppError } from '../lib/errors.js'
import type { AuthFailureLimit } from './rate-limit.js'
import type { AuthService, Caller, Role } from '../modules/auth/index.js'

/**
 * What a route lets in. Every route must say: `{ public: true }` for the few open ones (health, metrics,
 * notice, docs), or the API-key roles it accepts and whether a shopper token may call it. A shopper
 * token only ever reaches its own subject: routes with a `:ref` parameter compare it here, routes that
 * take a subject elsewhere call `assertOwnSubject`.
 */
export type Access = { public: true } | { roles: readonly Role[]; shopper?: boolean }

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access
  }
  interface FastifyRequest {
    caller: Caller
  }
}

export interface RouteAccessEntry {
  method: string
  url: string
  access: Access
}

export interface AuthPluginOptions {
  auth: AuthService
  /** Finds the subject id a shop's customer reference maps to, if it has one. */
  findSubject: (ref: string) => Promise<string | undefined>
  /** URL prefixes of routes added by third-party plugins that are public by nature (docs assets). */
  publicPrefixes: readonly string[]
  /** Failed authentications per address: past its limit, protected routes answer 429 at once. */
  failures: AuthFailureLimit
}

function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization
  if (header === undefined) return undefined
  const match = /^Bearer\s+(\S+)$/i.exec(header)
  if (match?.[1] === undefined)
    throw new AppError('unauthenticated', 'Authorization: use "Bearer <key>"')
  return match[1]
}

/**
 * Installs the route guard on the root instance. A route registered without an `access` declaration
 * stops start-up, so nothing is left unprotected by accident. Returns the route table it saw, which the
 * auth test walks.
 */
export function registerAuth(app: FastifyInstance, options: AuthPluginOptions): RouteAccessEntry[] {
  const table: RouteAccessEntry[] = []
  app.decorateRequest('caller', null as never)

  app.addHook('onRoute', (route: RouteOptions) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method]
    let access = route.config?.access
    if (
      access === undefined &&
      options.publicPrefixes.some((prefix) => route.url.startsWith(prefix))
    ) {
      access = { public: true }
      route.config = { ...route.config, access }
    }
    if (access === undefined) {
      throw new Error(`route ${methods.join(',')} ${route.url} declares no access`)
    }
    for (const method of methods) {
      if (method !== 'HEAD') table.push({ method, url: route.url, access })
    }
  })

  app.addHook('onRequest', async (request, reply) => {
    const access = request.routeOptions.config.access
    if (access === undefined || 'public' in access) {
      request.caller = { kind: 'anonymous' }
      return
    }
    const retryAfter = options.failures.retryAfter(request.ip)
    if (retryAfter !== undefined) {
      request.caller = { kind: 'anonymous' }
      reply.header('retry-after', retryAfter)
      throw new AppError(
        'auth_rate_limited',
        `Too many failed authentications from this address; retry in ${retryAfter} s`,
      )
    }
    let caller: Caller
    try {
      caller = await options.auth.authenticate(bearer(request))
      if (caller.kind === 'anonymous') {
        throw new AppError('unauthenticated', 'This route needs an API key or shopper token')
      }
    } catch (error) {
      request.caller = { kind: 'anonymous' }
      if (error instanceof AppError && error.code === 'unauthenticated')
        options.failures.fail(request.ip)
      throw error
    }
    request.caller = caller
    if (caller.kind === 'api_key' && !access.roles.includes(caller.role)) {
      throw new AppError('forbidden', `The ${caller.role} role may not call this route`)
    }
    if (caller.kind === 'shopper' && access.shopper !== true) {
      throw new AppError('forbidden', 'A shopper token may not call this route')
    }
  })

  // Before validation, so a shopper learns nothing about another subject from a validation error.
  app.addHook('preValidation', async (request) => {
    const params = request.params as Record<string, unknown> | undefined
    if (typeof params?.ref === 'string')
      await assertOwnRef(request, params.ref, options.findSubject)
  })

  return table
}

/**
 * Throws `forbidden` when a shopper token tries to reach another subject than its own (`undefined`: a
 * subject that does not exist, which is never the token's own).
 */
export function assertOwnSubject(request: FastifyRequest, subjectId: string | undefined): void {
  const caller = request.caller
  if (caller.kind === 'shopper' && caller.subjectId !== subjectId) {
    throw new AppError('forbidden', 'This shopper token belongs to another subject')
  }
}

/** The same check for a shop's customer reference, looked up only when the caller is a shopper. */
export async function assertOwnRef(
  request: FastifyRequest,
  ref: string,
  findSubject: (ref: string) => Promise<string | undefined>,
): Promise<void> {
  if (request.caller.kind !== 'shopper') return
  assertOwnSubject(request, await findSubject(ref))
}
