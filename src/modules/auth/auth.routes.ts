import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { AppError } from '../../lib/errors.js'
import type { RouteAccessEntry } from '../../http/auth.js'
import { actorOf } from '../audit/index.js'
import { CustomerRefSchema, type IdentityService } from '../identity/index.js'
import { ApiKeyInfoSchema, ROLES, RoleSchema } from './auth.js'
import type { AuthService } from './auth.service.js'

const CustomerRef = CustomerRefSchema

/** API key administration (admin only) and shopper-token issuing (for the shop's backend). */
/** What the auth routes use. */
export interface AuthRoutesDeps {
  auth: AuthService
  identity: Pick<IdentityService, 'ensureSubjectId'>
}

export const authRoutes: FastifyPluginAsyncZod<{
  services: AuthRoutesDeps
  /** Every route with the access it declared (filled as routes are added), for `GET /v1/me`. */
  routes: readonly RouteAccessEntry[]
}> = async (app, { services, routes }) => {
  app.get(
    '/v1/me',
    {
      config: { access: { roles: ROLES } },
      schema: {
        tags: ['auth'],
        summary:
          "The calling API key's id and role, and every route its role may call (the console shows only what it may use)",
        response: {
          200: z.object({
            keyId: z.string(),
            role: RoleSchema,
            may: z.array(z.string()).describe('"METHOD /path" for each route this role may call'),
          }),
        },
      },
    },
    async (request) => {
      const caller = request.caller
      if (caller.kind !== 'api_key') throw new AppError('forbidden', 'Only an API key has a role')
      const may = routes
        .filter(({ access }) => !('public' in access) && access.roles.includes(caller.role))
        .map(({ method, url }) => `${method} ${url}`)
      return { keyId: caller.keyId, role: caller.role, may: [...new Set(may)].sort() }
    },
  )

  app.post(
    '/v1/admin/keys',
    {
      config: { access: { roles: ['admin'] } },
      schema: {
        tags: ['admin'],
        summary: 'Create an API key; the key is returned once and never again',
        body: z.object({ role: RoleSchema, name: z.string().trim().min(1).max(200) }),
        response: { 201: ApiKeyInfoSchema.extend({ key: z.string() }) },
      },
    },
    async (request, reply) => {
      const { key, info } = await services.auth.createApiKey(
        request.body.role,
        request.body.name,
        actorOf(request),
      )
      return reply.code(201).send({ ...info, key })
    },
  )

  app.get(
    '/v1/admin/keys',
    {
      config: { access: { roles: ['admin'] } },
      schema: {
        tags: ['admin'],
        summary: 'List API keys (never their secrets)',
        response: { 200: z.object({ keys: z.array(ApiKeyInfoSchema) }) },
      },
    },
    async () => ({ keys: await services.auth.listApiKeys() }),
  )

  app.delete(
    '/v1/admin/keys/:id',
    {
      config: { access: { roles: ['admin'] } },
      schema: {
        tags: ['admin'],
        summary: 'Revoke an API key',
        params: z.object({
          id: z.string().regex(/^key_[a-z0-9]+$/, 'must be an API key id (key_...)'),
        }),
      },
    },
    async (request, reply) => {
      await services.auth.revokeApiKey(request.params.id, actorOf(request))
      return reply.code(204).send()
    },
  )

  app.post(
    '/v1/shopper-tokens',
    {
      config: { access: { roles: ['storefront', 'privacy_officer', 'admin'] } },
      schema: {
        tags: ['auth'],
        summary:
          'Issue a short-lived token that lets a signed-in shopper act on their own data only',
        body: z.object({ subject: CustomerRef }),
        response: { 201: z.object({ token: z.string(), expiresAt: z.string() }) },
      },
    },
    async (request, reply) => {
      const subjectId = await services.identity.ensureSubjectId(request.body.subject)
      return reply.code(201).send(services.auth.issueShopperToken(subjectId))
    },
  )
}
