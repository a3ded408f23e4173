import path from 'node:path'
import fs from 'node:fs'
import fastifySwagger from '@fastify/swagger'
import fastifySwaggerUi from '@fastify/swagger-ui'
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify'
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod'
import { newId } from './lib/ids.js'
import { type RouteAccessEntry, registerAuth } from './http/auth.js'
import { DOCS_UI_OPTIONS } from './http/docs.js'
import { registerErrorHandler } from './http/error-handler.js'
import { lazyChildLogger } from './http/lazy-logger.js'
import { healthRoutes } from './http/health.routes.js'
import { registerAuthFailureMetrics, registerMetrics } from './http/metrics.js'
import { swaggerOptions } from './http/openapi.js'
import { registerRateLimit } from './http/rate-limit.js'
import { type RequestLog, loggerRequestLog } from './http/request-log.js'
import { pagesRoutes } from './http/pages.routes.js'
import { registerSecurityHeaders } from './http/security-headers.js'
import type { Registry } from 'prom-client'
import { packageRoot } from './lib/package-root.js'
import { auditRoutes } from './modules/audit/index.js'
import { ROLES, authRoutes } from './modules/auth/index.js'
import { charterRoutes } from './modules/charter/index.js'
import { consentRoutes, sessionConsentRoutes } from './modules/consent/index.js'
import { demoRoutes } from './modules/demo/index.js'
import { recommendRoutes } from './modules/recommend/index.js'
import { rightsRoutes } from './modules/rights/index.js'
import { catalogRoutes } from './modules/catalog/index.js'
import { eventsRoutes } from './modules/events/index.js'
import { cleanroomRoutes, insightsRoutes } from './modules/insights/index.js'
import { experimentsRoutes } from './modules/experiments/index.js'
import { voiceRoutes } from './modules/voice/index.js'
import { federatedRoutes } from './modules/federated/index.js'
import { jobsRoutes } from './modules/jobs/index.js'
import { reviewsRoutes } from './modules/reviews/index.js'
import { offerMailRoutes, offersRoutes } from './modules/offers/index.js'
import { sessionRoutes } from './modules/session/index.js'
import { vendorsRoutes } from './modules/vendors/index.js'
import { pricingRoutes } from './modules/pricing/index.js'
import { assistantRoutes } from './modules/assistant/index.js'
import type { Services } from './main/compose.js'

export interface AppDeps {
  services: Services
  logger: FastifyBaseLogger
  /** Where the line per request goes; by default through `logger`. */
  requestLog?: RequestLog
  /**
   * What `/metrics` answers, given this app's registry; by default that registry's own text (a worker
   * process answers for all workers, see `workerMetrics`).
   */
  metrics?: (local: Registry) => () => Promise<string>
  /** After `POST /v1/admin/train` retrained this process's model: the other worker processes', if any. */
  retrainOthers?: () => void
}

export interface CandorApp {
  app: FastifyInstance
  /** Every route with the access it declared, as registered (the auth test walks it). */
  routes: RouteAccessEntry[]
}

export const API_VERSION = '1.0.0'

/**
 * Builds the Fastify instance with every route, without listening, so tests can drive it in-process
 * with `app.inject` and build as many isolated apps as they like. The steps below run in this order:
 * the instance, its hooks, the guards (auth, metrics, rate limit), the API document, then the routes.
 */
export async function buildApp(deps: AppDeps): Promise<CandorApp> {
  const { services } = deps
  const app = createFastify(deps)
  app.setValidatorCompiler(validatorCompiler)
  app.setSerializerCompiler(serializerCompiler)
  registerErrorHandler(app)
  // Before the route guard and the rate limiter, so their refusals carry the headers (and CORS) too.
  await registerSecurityHeaders(app, {
    corsOrigins: services.config.corsOrigins,
    https: services.config.tls !== undefined,
  })
  registerRequestHooks(app, deps)
  const { routes, registry } = registerGuards(app, services)
  await registerApiDocs(app)
  await registerRoutes(app, deps, routes, registry)
  await app.ready()
  return { app, routes }
}

function createFastify(deps: AppDeps): FastifyInstance {
  const { services } = deps
  const tls = services.config.tls
  return Fastify({
    loggerInstance: deps.logger,
    // Fastify's own request lines would log the raw URL, which may hold a customer reference.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: () => newId('req', 16),
    childLoggerFactory: lazyChildLogger,
    requestIdHeader: false,
    bodyLimit: services.config.bodyLimitBytes,
    // request.ip is the client a trusted proxy names in X-Forwarded-For, else the peer (the header of an
    // untrusted peer is ignored: anyone could write it).
    trustProxy:
      services.config.trustedProxies.length > 0 ? [...services.config.trustedProxies] : false,
    routerOptions: { ignoreTrailingSlash: true },
    // HTTPS served directly (CANDOR_TLS_CERT, CANDOR_TLS_KEY), for operators without a TLS proxy.
    ...(tls === undefined
      ? {}
      : { https: { cert: fs.readFileSync(tls.certFile), key: fs.readFileSync(tls.keyFile) } }),
  })
}

/** The request id header, the freshness check and the line per request. */
function registerRequestHooks(app: FastifyInstance, deps: AppDeps): void {
  const { services } = deps
  // These two run on every request and take `done` (an async hook costs a promise and a turn of the
  // microtask queue); the freshness check waits only on PostgreSQL.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id)
    // What another process committed before this request was sent is seen by it (see `ChangeFeed`).
    const synced = services.storage.changes.sync()
    if (synced === undefined) done()
    else synced.then(() => done(), done)
  })
  // One line per request, with the route pattern rather than the URL (which may hold a customer ref).
  const requestLog = deps.requestLog ?? loggerRequestLog(deps.logger)
  app.addHook('onResponse', (request, reply, done) => {
    requestLog({
      reqId: request.id,
      method: request.method,
      route: request.routeOptions.url ?? 'unmatched',
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 10) / 10,
    })
    done()
  })
}

/** The route guard (with its failure limit), the metrics registry and the rate limiter, in that order. */
function registerGuards(
  app: FastifyInstance,
  services: Services,
): { routes: RouteAccessEntry[]; registry: Registry } {
  // Made with the services, so the security review reads the same counters (see compose.ts).
  const { authFailures } = services
  authFailures.sweepWhileOpen(app)
  const routes = registerAuth(app, {
    auth: services.auth,
    findSubject: (ref) => services.identity.findSubjectId(ref),
    publicPrefixes: ['/docs'],
    failures: authFailures,
  })
  const registry = registerMetrics(app)
  registerAuthFailureMetrics(registry, authFailures)

  registerRateLimit(app, {
    max: services.config.rateLimitPerMinute,
    windowMs: 60_000,
    // Per caller, as the route guard (which runs first) identified it: the API key, the shopper, or
    // else the address. Never the credential itself.
    keyOf: (request) => {
      const caller = request.caller
      if (caller?.kind === 'api_key') return `key:${caller.keyId}`
      if (caller?.kind === 'shopper') return `shopper:${caller.subjectId}`
      return `ip:${request.ip}`
    },
  })
  return { routes, registry }
}

/** The OpenAPI document and its pages under `/docs`. */
async function registerApiDocs(app: FastifyInstance): Promise<void> {
  await app.register(
    fastifySwagger,
    swaggerOptions(
      {
        title: 'Candor API',
        version: API_VERSION,
        description:
          'Privacy-first personalization: consent, events, explained recommendations and data-subject ' +
          'rights.\n\nTo try a protected operation here, press **Authorize** and paste an API key ' +
          '(`npx candor keys create --role admin`) or a shopper token; each operation says who may call it. ' +
          'Every error is `application/problem+json` with a stable `code`.',
      },
      ROLES,
    ),
  )
  await app.register(fastifySwaggerUi, DOCS_UI_OPTIONS)
}

/** Every module's routes, the pages, the demo shop (in demo mode) and `/openapi.json`, in this order. */
async function registerRoutes(
  app: FastifyInstance,
  deps: AppDeps,
  routes: RouteAccessEntry[],
  registry: Registry,
): Promise<void> {
  const { services } = deps
  const metricsText = deps.metrics?.(registry) ?? (() => registry.metrics())
  await app.register(healthRoutes, { services, registry, metricsText })
  await app.register(authRoutes, { services, routes })
  await app.register(auditRoutes, { services })
  await app.register(charterRoutes, { services })
  await app.register(consentRoutes, { services })
  await app.register(eventsRoutes, { services })
  await app.register(sessionConsentRoutes, { services })
  await app.register(sessionRoutes, { services })
  await app.register(catalogRoutes, { services })
  await app.register(rightsRoutes, { services, registry })
  await app.register(jobsRoutes, { services })
  await app.register(reviewsRoutes, { services })
  await app.register(insightsRoutes, { services })
  await app.register(cleanroomRoutes, { services })
  await app.register(offersRoutes, { services })
  await app.register(pricingRoutes, { services })
  await app.register(assistantRoutes, { services })
  await app.register(offerMailRoutes, { services })
  await app.register(voiceRoutes, { services })
  await app.register(federatedRoutes, { services })
  await app.register(vendorsRoutes, { services })
  await app.register(experimentsRoutes, { services })
  await app.register(recommendRoutes, {
    services,
    ...(deps.retrainOthers === undefined ? {} : { retrainOthers: deps.retrainOthers }),
  })

  // The web pages and the browser SDK (built by `npm run build`); the demo shop only in demo mode.
  await app.register(pagesRoutes, {
    webDir: path.join(packageRoot(), 'dist/web'),
    sdkDir: path.join(packageRoot(), 'dist/sdk'),
    shop: services.config.demo,
  })
  if (services.config.demo) await app.register(demoRoutes, { services })

  app.get('/openapi.json', { config: { access: { public: true } }, schema: { hide: true } }, () =>
    app.swagger(),
  )
}
