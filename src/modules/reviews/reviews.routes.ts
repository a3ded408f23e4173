import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { z } from 'zod'
import { AppError } from '../../lib/errors.js'
import { textAnswer } from '../../http/openapi.js'
import type { RoutesApp } from '../../http/routes.js'
import { actorOf } from '../audit/index.js'
import {
  DpiaSchema,
  LatestReportsSchema,
  ModelCardSchema,
  ReportAnswerSchema,
  SignOffAnswerSchema,
  SignOffBodySchema,
} from './reports.schemas.js'
import type { ReviewsService } from './reports.service.js'
import type { AuditReport } from './reviews.js'

/**
 * A report's three parts are typed interfaces here and open objects in the document (so that a new
 * figure breaks no client); TypeScript does not see an interface as a record, so the answer is cast.
 */
type Open<T> = T extends AuditReport ? z.input<typeof ReportAnswerSchema> : T
const open = <T>(value: T) => value as unknown as Open<T>

const REPORT_HTML = textAnswer('The report as one HTML file: no script, nothing fetched', {
  'text/html':
    '<!doctype html>\n<html lang="en">\n<head><meta charset="utf-8"><title>Audit report 2026-03-02 · Demo Giftware Ltd</title><style>…</style></head>\n<body><main><h1>Audit report: fairness, privacy and security</h1>…<figure data-chart="fairness-exposure"><figcaption>Exposure of the catalog</figcaption><svg …>…</svg></figure>…</main></body>\n</html>\n',
})

const STAFF = { access: { roles: ['privacy_officer', 'admin'] } } as const

/**
 * The reviews over HTTP: the impact assessment and its sign-off, the stored audit reports (and running
 * one now), and the public model card.
 */
export const reviewsRoutes: FastifyPluginAsyncZod<{
  services: { reviews: ReviewsService }
}> = async (app, { services }) => {
  dpiaRoutes(app, services.reviews)
  reportRoutes(app, services.reviews)
}

/** The impact assessment and its sign-off. */
function dpiaRoutes(app: RoutesApp, reviews: ReviewsService) {
  app.get(
    '/v1/audits/dpia',
    {
      config: STAFF,
      schema: {
        tags: ['audits'],
        summary:
          'The data protection impact assessment generated from the charter: per purpose necessity, data, risks (likelihood x severity), controls and residual risk, with its latest sign-off',
        response: { 200: DpiaSchema },
      },
    },
    () => reviews.dpia(),
  )

  app.post(
    '/v1/audits/dpia/sign-off',
    {
      config: { access: { roles: ['privacy_officer'] } },
      schema: {
        tags: ['audits'],
        summary:
          'A privacy officer signs the assessment off (an audit-log entry); a new notice version makes it stale',
        body: SignOffBodySchema,
        response: { 201: SignOffAnswerSchema },
      },
    },
    async (request, reply) => {
      const actor = actorOf(request)
      if (actor.kind !== 'api_key') throw new AppError('forbidden', 'Only a staff key may sign off')
      return reply.code(201).send(await reviews.signOffDpia(actor, request.body))
    },
  )
}

/** The stored reports, running one now, and the public model card. */
function reportRoutes(app: RoutesApp, reviews: ReviewsService) {
  app.get(
    '/v1/audits/reports/latest',
    {
      config: STAFF,
      schema: {
        tags: ['audits'],
        summary:
          'The latest audit report (fairness, privacy, security: findings and chart specs) and what changed since the one before',
        response: { 200: LatestReportsSchema },
      },
    },
    async () => {
      const { latest, changes } = await reviews.latestReports()
      return { latest: latest === null ? null : open(latest), changes }
    },
  )

  app.get(
    '/v1/audits/reports/latest/html',
    {
      config: STAFF,
      schema: {
        tags: ['audits'],
        summary:
          'The latest audit report as one self-contained HTML file (charts as inline SVG), to keep or hand on; 404 before the first report',
        response: { 200: REPORT_HTML },
      },
    },
    async (_request, reply) => {
      const latest = await reviews.latestHtml()
      if (latest === undefined) throw new AppError('not_found', 'No audit report has been kept yet')
      return reply
        .type('text/html; charset=utf-8')
        .header(
          'content-disposition',
          `attachment; filename="candor-audit-${latest.report.createdAt.slice(0, 10)}.html"`,
        )
        .serializer((x) => x as string)
        .send(latest.html)
    },
  )

  app.post(
    '/v1/audits/reports',
    {
      config: STAFF,
      schema: {
        tags: ['audits'],
        summary:
          'Run every audit now and keep the report (the server also runs them on a schedule)',
        response: { 201: ReportAnswerSchema },
      },
    },
    async (_request, reply) => reply.code(201).send(open(await reviews.runAndStore())),
  )

  app.get(
    '/v1/model-card',
    {
      config: { access: { public: true } },
      schema: {
        tags: ['notice'],
        summary:
          'How suggestions work: the data each level uses, the algorithm in plain words, the last training figures, the latest fairness findings, known limits and how to turn it off',
        response: { 200: ModelCardSchema },
      },
    },
    () => reviews.modelCard(),
  )
}
