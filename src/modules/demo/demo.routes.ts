import path from 'node:path'
import { randomBytes } from 'node:crypto'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { assertOwnSubject } from '../../http/auth.js'
import { withExample } from '../../http/openapi.js'
import type { RoutesApp } from '../../http/routes.js'
import type { AuthService } from '../auth/index.js'
import type { IdentityService } from '../identity/index.js'
import { type RightsService, createOutboxNotifier } from '../rights/index.js'
import { DEMO_CATEGORIES, DEMO_SHOPPERS, loadDemoData } from './demo.data.js'

const VISITOR = /^visitor-[a-z0-9]{16,40}$/

/** `GET /demo/catalog`: every field of the demo data (`demo.data.ts`) the answer carries. */
const DemoCatalogSchema = z.object({
  categories: z.array(z.object({ id: z.string(), title: z.string() })),
  products: z.array(
    z.object({
      id: z.string(),
      title: z.string(),
      category: z.string().describe('The id of its category'),
      price: z.number(),
      currency: z.string(),
    }),
  ),
  shoppers: z
    .array(z.object({ ref: z.string(), name: z.string() }))
    .describe('Demo shoppers with a history, to switch to'),
})
const DEMO_TOKEN =
  'st.eyJ2IjoxLCJzdWIiOiJzdWJfd2YxY3lvM3Z4aXVmYW56cjB5enNkeHIzIiwiZXhwIjoxNzcyMzYxOTAwLCJraWQiOiJ0MSJ9.pblaLN2mwinkJedalhE5wPU0AUTvEvnwmcnBqMOGidA'

/** What the demo routes use. */
export interface DemoRoutesDeps {
  config: { dataDir: string }
  identity: Pick<IdentityService, 'ensureSubjectId'>
  auth: Pick<AuthService, 'issueShopperToken'>
  rights: Pick<RightsService, 'get'>
}

/**
 * The demo shop's own backend, registered only in demo mode (`CANDOR_DEMO=on`). A real shop has its
 * own product pages and sign-in, and asks Candor for a shopper token for the customer it signed in; here
 * anyone may ask for a token for a demo shopper or a visitor id, which is why production turns demo off.
 */
export const demoRoutes: FastifyPluginAsyncZod<{ services: DemoRoutesDeps }> = async (
  app,
  { services },
) => {
  catalogRoute(app)
  sessionRoute(app, services)
  inboxRoute(app, services)
}

/** The demo shop's products, categories and shoppers. */
function catalogRoute(app: RoutesApp) {
  app.get(
    '/demo/catalog',
    {
      config: { access: { public: true } },
      schema: {
        tags: ['demo'],
        summary: 'Demo mode only: the demo shop’s products, categories and shoppers',
        response: {
          200: withExample(DemoCatalogSchema, {
            categories: [
              { id: 'lights', title: 'Candles and lights' },
              { id: 'kitchen', title: 'Kitchen and dining' },
            ],
            products: [
              {
                id: '85123A',
                title: 'White Hanging Heart T-light Holder',
                category: 'lights',
                price: 2.95,
                currency: 'GBP',
              },
              {
                id: '22423',
                title: 'Regency Cakestand 3 Tier',
                category: 'kitchen',
                price: 12.75,
                currency: 'GBP',
              },
            ],
            shoppers: [{ ref: 'demo-shopper-1', name: 'Alex (demo shopper with a history)' }],
          }),
        },
      },
    },
    async (_request, reply) => {
      const { products } = loadDemoData()
      reply.header('cache-control', 'public, max-age=300')
      return { categories: [...DEMO_CATEGORIES], products, shoppers: [...DEMO_SHOPPERS] }
    },
  )
}

/** A shopper token for a demo shopper or a visitor, for anyone who asks (demo mode only). */
function sessionRoute(app: RoutesApp, services: DemoRoutesDeps) {
  app.post(
    '/demo/session',
    {
      config: { access: { public: true } },
      schema: {
        tags: ['demo'],
        summary: 'Demo mode only: a shopper token for a demo shopper or a (new) visitor',
        body: withExample(z.strictObject({ ref: z.string().max(64).optional() }).optional(), {
          ref: 'demo-shopper-1',
        }),
        response: {
          200: withExample(
            z.object({
              ref: z.string(),
              token: z.string(),
              expiresAt: z.string(),
              name: z.string(),
            }),
            {
              ref: 'demo-shopper-1',
              token: DEMO_TOKEN,
              expiresAt: '2026-03-01T10:45:00.000Z',
              name: 'Alex (demo shopper with a history)',
            },
          ),
        },
      },
    },
    async (request) => {
      const asked = request.body?.ref
      const demo = DEMO_SHOPPERS.find((s) => s.ref === asked)
      const ref =
        demo !== undefined || (asked !== undefined && VISITOR.test(asked))
          ? asked!
          : `visitor-${randomBytes(12).toString('hex')}`
      const subjectId = await services.identity.ensureSubjectId(ref)
      const { token, expiresAt } = services.auth.issueShopperToken(subjectId)
      return { ref, token, expiresAt, name: demo?.name ?? 'a visitor' }
    },
  )
}

/** The verification code of the shopper's own rights request, from the outbox. */
function inboxRoute(app: RoutesApp, services: DemoRoutesDeps) {
  // Stands in for the shopper's e-mail: the one-time code of their own rights request, from the outbox.
  const outbox = createOutboxNotifier(path.join(services.config.dataDir, 'outbox'))
  app.get(
    '/demo/inbox/:id',
    {
      config: { access: { roles: [], shopper: true } },
      schema: {
        tags: ['demo'],
        summary:
          'Demo mode only: the verification code sent for your own rights request (your e-mail, simulated)',
        params: z.object({ id: z.string().min(1).max(64) }),
        response: {
          200: withExample(z.object({ code: z.string().nullable() }), { code: '725626' }),
        },
      },
    },
    async (request) => {
      const found = await services.rights.get(request.params.id)
      assertOwnSubject(request, found.subjectId)
      // The newest code by the time it was sent: after a resend, only that one works.
      return { code: outbox.latest(request.params.id)?.code ?? null }
    },
  )
}
