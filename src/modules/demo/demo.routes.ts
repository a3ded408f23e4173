import path from 'node:path'
import { randomBytes } from 'node:crypto'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { assertOwnSubject } from '../../http/auth.js'
import type { AuthService } from '../auth/index.js'
import type { IdentityService } from '../identity/index.js'
import { type RightsService, createOutboxNotifier } from '../rights/index.js'
import { DEMO_CATEGORIES, DEMO_SHOPPERS, loadDemoData } from './demo.data.js'

const VISITOR = /^visitor-[a-z0-9]{16,40}$/

/**
 * The demo shop's own backend, registered only in demo mode (`CANDOR_DEMO=on`). A real shop has its
 * own product pages and sign-in, and asks Candor for a shopper token for the customer it signed in; here
 * anyone may ask for a token for a demo shopper or a visitor id, which is why production turns demo off.
 */
/** What the demo routes use. */
export interface DemoRoutesDeps {
  config: { dataDir: string }
  identity: Pick<IdentityService, 'ensureSubjectId'>
  auth: Pick<AuthService, 'issueShopperToken'>
  rights: Pick<RightsService, 'get'>
}

export const demoRoutes: FastifyPluginAsyncZod<{ services: DemoRoutesDeps }> = async (
  app,
  { services },
) => {
  app.get(
    '/demo/catalog',
    {
      config: { access: { public: true } },
      schema: {
        tags: ['demo'],
        summary: 'Demo mode only: the demo shop’s products, categories and shoppers',
      },
    },
    async (_request, reply) => {
      const { products } = loadDemoData()
      reply.header('cache-control', 'public, max-age=300')
      return { categories: DEMO_CATEGORIES, products, shoppers: DEMO_SHOPPERS }
    },
  )

  app.post(
    '/demo/session',
    {
      config: { access: { public: true } },
      schema: {
        tags: ['demo'],
        summary: 'Demo mode only: a shopper token for a demo shopper or a (new) visitor',
        body: z.strictObject({ ref: z.string().max(64).optional() }).optional(),
        response: {
          200: z.object({
            ref: z.string(),
            token: z.string(),
            expiresAt: z.string(),
            name: z.string(),
          }),
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
        response: { 200: z.object({ code: z.string().nullable() }) },
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
