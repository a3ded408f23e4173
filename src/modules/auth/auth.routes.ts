import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { AppError } from '../../lib/errors.js'
import type { RouteAccessEntry } from '../../http/auth.js'
import { withExample } from '../../http/openapi.js'
import type { RoutesApp } from '../../http/routes.js'
import { actorOf } from '../audit/index.js'
import { CustomerRefSchema, type IdentityService } from '../identity/index.js'
import { type ApiKeyInfo, ApiKeyInfoSchema, RoleSchema, STAFF_ROLES } from './auth.js'
import type { AuthService } from './auth.service.js'

const CustomerRef = CustomerRefSchema

/** The examples the document shows (an API key and a shopper token as they look, not real ones). */
const KEY_INFO = {
  id: 'key_r4quucipjoycew18',
  role: 'storefront',
  name: 'Web shop backend',
  vendor: null,
  createdAt: '2026-03-01T09:30:00.000Z',
  revokedAt: null,
} as const
const KEY_LIST: { keys: ApiKeyInfo[] } = {
  keys: [
    {
      id: 'key_z3gim3f0m9p7onn3',
      role: 'admin',
      name: 'Operations',
      vendor: null,
      createdAt: '2026-02-11T08:00:00.000Z',
      revokedAt: null,
    },
    KEY_INFO,
    {
      id: 'key_0b8w2n5t7y1e4r6u',
      role: 'analyst',
      name: 'Old reporting job',
      vendor: null,
      createdAt: '2026-01-05T14:12:00.000Z',
      revokedAt: '2026-02-28T17:45:00.000Z',
    },
  ],
}
const NEW_KEY = 'ck_r4quucipjoycew18.Tj67v3C4FYKU8kt2NaWdNIDFqiHshMIboPi8iqGiX10'
const SHOPPER_TOKEN =
  'st.eyJ2IjoxLCJzdWIiOiJzdWJfd2YxY3lvM3Z4aXVmYW56cjB5enNkeHIzIiwiZXhwIjoxNzcyMzYxOTAwLCJraWQiOiJ0MSJ9.pblaLN2mwinkJedalhE5wPU0AUTvEvnwmcnBqMOGidA'

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
  meRoute(app, routes)
  keyRoutes(app, services)
  tokenRoutes(app, services)
}

/** The caller's own key and role, and what that role may call. */
function meRoute(app: RoutesApp, routes: readonly RouteAccessEntry[]) {
  app.get(
    '/v1/me',
    {
      config: { access: { roles: STAFF_ROLES } },
      schema: {
        tags: ['auth'],
        summary:
          "The calling API key's id and role, and every route its role may call (the console shows only what it may use)",
        response: {
          200: withExample(
            z.object({
              keyId: z.string(),
              role: RoleSchema,
              may: z.array(z.string()).describe('"METHOD /path" for each route this role may call'),
            }),
            {
              keyId: 'key_7h2k9q4m1x8c3v5b',
              role: 'analyst',
              may: ['GET /v1/me', 'GET /v1/recommendations/quality'],
            },
          ),
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
}

/** API key administration (admin only). */
function keyRoutes(app: RoutesApp, services: AuthRoutesDeps) {
  app.post(
    '/v1/admin/keys',
    {
      config: { access: { roles: ['admin'] } },
      schema: {
        tags: ['admin'],
        summary: 'Create an API key; the key is returned once and never again',
        body: withExample(
          z.object({
            role: RoleSchema,
            name: z.string().trim().min(1).max(200),
            vendor: z
              .string()
              .max(100)
              .optional()
              .describe(
                'partner keys only: the charter vendor (one listing a clean-room purpose) the key acts for',
              ),
          }),
          { role: 'storefront', name: 'Web shop backend' },
        ),
        response: {
          201: withExample(ApiKeyInfoSchema.extend({ key: z.string() }), {
            ...KEY_INFO,
            key: NEW_KEY,
          }),
        },
      },
    },
    async (request, reply) => {
      const { key, info } = await services.auth.createApiKey(
        request.body.role,
        request.body.name,
        actorOf(request),
        { vendor: request.body.vendor },
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
        response: {
          200: withExample(z.object({ keys: z.array(ApiKeyInfoSchema) }), KEY_LIST),
        },
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
        response: { 204: z.null().describe('Revoked: the key no longer authenticates') },
      },
    },
    async (request, reply) => {
      await services.auth.revokeApiKey(request.params.id, actorOf(request))
      return reply.code(204).send(null)
    },
  )
}

/** Shopper-token issuing (for the shop's backend). */
function tokenRoutes(app: RoutesApp, services: AuthRoutesDeps) {
  app.post(
    '/v1/shopper-tokens',
    {
      config: { access: { roles: ['storefront', 'privacy_officer', 'admin'] } },
      schema: {
        tags: ['auth'],
        summary:
          'Issue a short-lived token that lets a signed-in shopper act on their own data only',
        body: withExample(z.object({ subject: CustomerRef }), { subject: 'cust-1042' }),
        response: {
          201: withExample(z.object({ token: z.string(), expiresAt: z.string() }), {
            token: SHOPPER_TOKEN,
            expiresAt: '2026-03-01T10:45:00.000Z',
          }),
        },
      },
    },
    async (request, reply) => {
      const subjectId = await services.identity.ensureSubjectId(request.body.subject)
      return reply.code(201).send(services.auth.issueShopperToken(subjectId))
    },
  )
}
