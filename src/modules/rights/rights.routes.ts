import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { FastifyRequest } from 'fastify'
import { Gauge, type Registry } from 'prom-client'
import { z } from 'zod'
import { assertOwnRef, assertOwnSubject } from '../../http/auth.js'
import { buildZip, toCsv } from '../../lib/zip.js'
import { actorOf } from '../audit/index.js'
import { CustomerRefSchema, type IdentityService } from '../identity/index.js'
import type { RightsService } from './rights.service.js'
import { DenyBodySchema, ExtendBodySchema } from './rights.staff.js'
import { withExample } from '../../http/openapi.js'
import type { RoutesApp } from '../../http/routes.js'
import {
  RIGHTS_CODE_STATE_EXAMPLE,
  RIGHTS_CREATED_EXAMPLE,
  RIGHTS_CREATE_EXAMPLE,
  RIGHTS_DENIED_EXAMPLE,
  RIGHTS_DENY_EXAMPLE,
  RIGHTS_EXPORT_EXAMPLE,
  RIGHTS_EXTENDED_EXAMPLE,
  RIGHTS_EXTEND_EXAMPLE,
  RIGHTS_LIST_EXAMPLE,
  RIGHTS_REQUEST_EXAMPLE,
  RIGHTS_VERIFIED_EXAMPLE,
  RIGHTS_VERIFY_EXAMPLE,
} from './rights.examples.js'
import { AppError } from '../../lib/errors.js'
import {
  CodeStateOutSchema,
  CreateRightsRequestSchema,
  RIGHTS_STATUSES,
  RightsRequestOutSchema,
} from './rights.js'

const RequestId = z.object({
  id: z.string().regex(/^rr_[a-z0-9]+$/, 'must be a rights request id (rr_...)'),
})
const STAFF = ['privacy_officer', 'admin'] as const
const ON_BEHALF = { roles: ['storefront', 'privacy_officer', 'admin'] as const, shopper: true }

/** The export as CSV files, one per list of records, beside the whole export as JSON. */
function exportZip(data: Record<string, unknown>): Buffer {
  const entries = [{ name: 'export.json', data: JSON.stringify(data, null, 2) }]
  for (const [section, value] of Object.entries(data)) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) continue
    for (const [table, rows] of Object.entries(value as Record<string, unknown>)) {
      if (
        Array.isArray(rows) &&
        rows.every((r) => r !== null && typeof r === 'object' && !Array.isArray(r))
      ) {
        entries.push({
          name: `${section}/${table}.csv`,
          data: toCsv(rows as Record<string, unknown>[]),
        })
      }
    }
  }
  return buildZip(entries)
}

/** Data-subject rights requests: filing, verification, deadlines, status and exports. */
/** What the rights routes use. */
export interface RightsRoutesDeps {
  rights: RightsService
  identity: Pick<IdentityService, 'findSubjectId' | 'ensureSubjectId'>
}

export const rightsRoutes: FastifyPluginAsyncZod<{
  services: RightsRoutesDeps
  registry: Registry
}> = async (app, { services, registry }) => {
  const { rights, identity } = services

  new Gauge({
    name: 'candor_rights_requests_overdue',
    help: 'Rights requests past their legal deadline and not yet completed or denied',
    registers: [registry],
    // Read from the database, so every worker process gives the same count: theirs are not summed.
    aggregator: 'max',
    async collect() {
      this.set(await rights.countOverdue())
    },
  })

  const ctx: RoutesContext = { rights, identity }
  filingRoutes(app, ctx)
  readingRoutes(app, ctx)
  codeRoutes(app, ctx)
  staffRoutes(app, ctx)
  exportRoutes(app, ctx)
}

type RightsRequest = Awaited<ReturnType<RightsService['get']>>
interface RoutesContext {
  rights: RightsService
  identity: RightsRoutesDeps['identity']
}

/** A shopper token may only see and act on requests about its own subject. */
async function ownRequest(rights: RightsService, request: FastifyRequest, id: string) {
  const found = await rights.get(id)
  assertOwnSubject(request, found.subjectId)
  return found
}

/** A request as its subject or staff see it (without the internal subject id and steps). */
function out({ subjectId: _subject, stepsDone: _steps, ...rest }: RightsRequest) {
  return rest
}

/** One request for its subject or staff: with the tries left while it waits for its code. */
async function outWithCode(rights: RightsService, found: RightsRequest) {
  if (found.status !== 'received') return out(found)
  const state = await rights.codeState(found.id)
  return state === undefined ? out(found) : { ...out(found), attemptsLeft: state.attemptsLeft }
}

/** Filing a request, and the staff's queue. */
function filingRoutes(app: RoutesApp, { rights, identity }: RoutesContext) {
  app.post(
    '/v1/rights-requests',
    {
      config: { access: ON_BEHALF },
      schema: {
        tags: ['rights'],
        summary:
          'File an access, portability, rectification, erasure, restriction or objection request; staff requests count as verified, others get a one-time code',
        body: withExample(CreateRightsRequestSchema, RIGHTS_CREATE_EXAMPLE),
        response: { 201: withExample(RightsRequestOutSchema, RIGHTS_CREATED_EXAMPLE) },
      },
    },
    async (request, reply) => {
      const caller = request.caller
      await assertOwnRef(request, request.body.subject, (ref) => identity.findSubjectId(ref))
      const staff =
        caller.kind === 'api_key' && (caller.role === 'privacy_officer' || caller.role === 'admin')
      const created = await rights.create(
        request.body,
        staff ? 'staff' : 'self_service',
        actorOf(request),
      )
      if (created.status === 'verified') await rights.process(created.id)
      return reply.code(201).send(await outWithCode(rights, await rights.get(created.id)))
    },
  )

  app.get(
    '/v1/rights-requests',
    {
      config: { access: { roles: STAFF } },
      schema: {
        tags: ['rights'],
        summary:
          'The request queue, soonest deadline first; overdue=true for those past their deadline',
        querystring: z.object({
          overdue: z.enum(['true', 'false']).optional(),
          status: z.enum(RIGHTS_STATUSES).optional(),
          limit: z.coerce.number().int().min(1).max(500).default(200),
        }),
        response: {
          200: withExample(
            z.object({ requests: z.array(RightsRequestOutSchema.extend({ id: z.string() })) }),
            RIGHTS_LIST_EXAMPLE,
          ),
        },
      },
    },
    async (request) => {
      const { overdue, status, limit } = request.query
      const list = await rights.list({
        limit,
        overdue: overdue === 'true',
        ...(status === undefined ? {} : { status }),
      })
      return { requests: list.map(out) }
    },
  )
}

/** A subject's requests, and one request. */
function readingRoutes(app: RoutesApp, { rights, identity }: RoutesContext) {
  app.get(
    '/v1/subjects/:ref/rights-requests',
    {
      config: { access: ON_BEHALF },
      schema: {
        tags: ['rights'],
        summary: "A subject's own requests and their due dates",
        params: z.object({ ref: CustomerRefSchema }),
        response: {
          200: withExample(
            z.object({ requests: z.array(RightsRequestOutSchema) }),
            RIGHTS_LIST_EXAMPLE,
          ),
        },
      },
    },
    async (request) => {
      const subjectId = await identity.findSubjectId(request.params.ref)
      if (subjectId === undefined) return { requests: [] }
      return { requests: (await rights.list({ subjectId })).map(out) }
    },
  )

  app.get(
    '/v1/rights-requests/:id',
    {
      config: { access: ON_BEHALF },
      schema: {
        tags: ['rights'],
        summary: 'Status of one request',
        params: RequestId,
        response: { 200: withExample(RightsRequestOutSchema, RIGHTS_REQUEST_EXAMPLE) },
      },
    },
    async (request) => outWithCode(rights, await ownRequest(rights, request, request.params.id)),
  )
}

/** The one-time code of a self-service request: quote it, or ask for a new one. */
function codeRoutes(app: RoutesApp, { rights }: RoutesContext) {
  app.post(
    '/v1/rights-requests/:id/verify',
    {
      config: { access: ON_BEHALF, problems: ['conflict'] },
      schema: {
        tags: ['rights'],
        summary:
          'Quote the 6-digit code sent for a self-service request (10 minutes; 5 wrong codes over the request’s life deny it; a wrong code’s answer has attemptsLeft)',
        params: RequestId,
        body: withExample(
          z.strictObject({ code: z.string().regex(/^\d{6}$/, 'must be the 6 digits sent') }),
          RIGHTS_VERIFY_EXAMPLE,
        ),
        response: { 200: withExample(RightsRequestOutSchema, RIGHTS_VERIFIED_EXAMPLE) },
      },
    },
    async (request) => {
      await ownRequest(rights, request, request.params.id)
      const verified = await rights.verify(request.params.id, request.body.code, actorOf(request))
      await rights.process(verified.id)
      return out(await rights.get(verified.id))
    },
  )

  app.post(
    '/v1/rights-requests/:id/resend-code',
    {
      config: { access: ON_BEHALF, problems: ['conflict', 'rate_limited'] },
      schema: {
        tags: ['rights'],
        summary:
          'Send a new code (the old one stops working); it gives no new tries, and at most 3 an hour (then 429 rate_limited with retry-after)',
        params: RequestId,
        response: { 200: withExample(CodeStateOutSchema, RIGHTS_CODE_STATE_EXAMPLE) },
      },
    },
    async (request, reply) => {
      await ownRequest(rights, request, request.params.id)
      try {
        return await rights.resendCode(request.params.id)
      } catch (error) {
        const retry = error instanceof AppError ? error.details?.retryAfterSeconds : undefined
        if (typeof retry === 'number') reply.header('retry-after', String(retry))
        throw error
      }
    },
  )
}

/** Staff decisions on a request: extend its deadline once, or deny it with a ground. */
function staffRoutes(app: RoutesApp, { rights }: RoutesContext) {
  app.post(
    '/v1/rights-requests/:id/extend',
    {
      config: { access: { roles: STAFF } },
      schema: {
        tags: ['rights'],
        summary:
          'Extend the deadline once, before it passes, with the reason (GDPR: by 1 or 2 further months; CCPA: by 45 days); audited',
        params: RequestId,
        body: withExample(ExtendBodySchema, RIGHTS_EXTEND_EXAMPLE),
        response: { 200: withExample(RightsRequestOutSchema, RIGHTS_EXTENDED_EXAMPLE) },
      },
    },
    async (request) => out(await rights.extend(request.params.id, request.body, actorOf(request))),
  )

  app.post(
    '/v1/rights-requests/:id/deny',
    {
      config: { access: { roles: STAFF } },
      schema: {
        tags: ['rights'],
        summary:
          'Deny a request whose work has not started, with the legal ground (audited) and the reason the shopper will see',
        params: RequestId,
        body: withExample(DenyBodySchema, RIGHTS_DENY_EXAMPLE),
        response: { 200: withExample(RightsRequestOutSchema, RIGHTS_DENIED_EXAMPLE) },
      },
    },
    async (request) => out(await rights.deny(request.params.id, request.body, actorOf(request))),
  )
}

/** The whole export, as JSON or a ZIP of JSON and CSV files. */
function exportRoutes(app: RoutesApp, { rights }: RoutesContext) {
  // Fastify would answer HEAD by running the GET handler, which compiles (and audits) a whole export
  // only to drop the body; HEAD gets a 405 naming GET instead, before anything is read.
  app.head(
    '/v1/rights-requests/:id/export',
    { config: { access: ON_BEHALF }, schema: { hide: true, params: RequestId } },
    async (_request, reply) => {
      reply.header('allow', 'GET')
      throw new AppError('method_not_allowed', 'An export is only sent whole: use GET')
    },
  )
  app.get(
    '/v1/rights-requests/:id/export',
    {
      exposeHeadRoute: false,
      config: { access: ON_BEHALF },
      schema: {
        tags: ['rights'],
        summary:
          'Everything held on the subject (JSON; format=zip for portability: the JSON plus one CSV per table)',
        params: RequestId,
        querystring: z.object({ format: z.enum(['json', 'zip']).default('json') }),
        response: {
          200: {
            description:
              'A download (candor-my-data-DATE.json or .zip): the export as JSON, or with format=zip a ZIP archive of it',
            content: {
              'application/json': {
                schema: withExample(
                  z
                    .looseObject({
                      format: z.string(),
                      requestId: z.string(),
                      subjectId: z.string(),
                      generatedAt: z.string(),
                    })
                    .describe(
                      'Besides these, one section per module that holds data on the subject (events, consent, recommend, audit, outbox, identity), each with its records',
                    ),
                  RIGHTS_EXPORT_EXAMPLE,
                ),
              },
              'application/zip': {
                schema: z.string().meta({
                  contentMediaType: 'application/zip',
                  description:
                    'export.json, and one CSV per list of records (events/events.csv, consent/consentRecords.csv, audit/entries.csv, ...)',
                }),
              },
            },
          },
        },
      },
    },
    async (request, reply) => {
      await ownRequest(rights, request, request.params.id)
      const data = await rights.compileExport(request.params.id, actorOf(request))
      reply.header('cache-control', 'no-store')
      // A name that says what the file is and when it was made; nothing about the shopper in it.
      const name = `candor-my-data-${String(data.generatedAt).slice(0, 10)}`
      if (request.query.format === 'zip') {
        return (
          reply
            .type('application/zip')
            .header('content-disposition', `attachment; filename="${name}.zip"`)
            // The archive's bytes (documented as the ZIP media type's content).
            .send(exportZip(data) as never)
        )
      }
      return reply
        .type('application/json; charset=utf-8')
        .header('content-disposition', `attachment; filename="${name}.json"`)
        .send(JSON.stringify(data, null, 2))
    },
  )
}
