import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { DAY_MS } from '../../lib/clock.js'
import { isRealDay } from '../../lib/days.js'
import { AppError } from '../../lib/errors.js'
import { CustomerRefSchema, type IdentityService } from '../identity/index.js'
import { withExample } from '../../http/openapi.js'
import type { RoutesApp } from '../../http/routes.js'
import { AuditEntrySchema } from './audit.js'
import { AUDIT_PAGE_EXAMPLE, AUDIT_VERIFY_EXAMPLE } from './audit.examples.js'
import { actorOf } from './audit.actor.js'
import type { AuditLog } from './audit.service.js'
import { auditTreeRoutes } from './audit-tree.routes.js'

/** An action or actor, or a prefix of one ending in `*`. */
const Pattern = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[^*]+\*?$/, 'may hold one * and only at the end (a prefix)')

/** A day (YYYY-MM-DD) or an ISO 8601 instant with its offset. */
const Instant = z
  .string()
  .regex(
    /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/,
    'must be a day (YYYY-MM-DD) or an ISO 8601 instant with its offset',
  )
  .refine((s) => isRealDay(s) && !Number.isNaN(Date.parse(s)), 'must be a real day or instant')

const isDay = (s: string) => s.length === 10
/** Where a `from` starts: the day's first instant, or the instant itself. */
const startOf = (s: string) => new Date(Date.parse(isDay(s) ? `${s}T00:00:00Z` : s)).toISOString()
/** Where a `to` stops (excluded): the next day's first instant for a day, or the instant itself. */
const endOf = (s: string) =>
  new Date(isDay(s) ? Date.parse(`${s}T00:00:00Z`) + DAY_MS : Date.parse(s)).toISOString()

const Verification = z.object({
  ok: z.boolean(),
  entries: z.number().int(),
  headHash: z.string().optional(),
  firstBrokenSeq: z.number().int().optional(),
  reason: z.string().optional(),
  tree: z
    .object({
      ok: z.boolean(),
      entries: z.number().int(),
      rootHash: z.string(),
      checkpointsChecked: z.number().int(),
      problems: z.array(z.string()),
    })
    .describe('The Merkle tree recomputed from the entries against every stored signed checkpoint'),
})

/** Reading the audit log and checking its chain (staff only). */
/** What the audit routes use. */
export interface AuditRoutesDeps {
  audit: AuditLog
  identity: Pick<IdentityService, 'findSubjectId'>
}

export const auditRoutes: FastifyPluginAsyncZod<{ services: AuditRoutesDeps }> = async (
  app,
  { services },
) => {
  listRoute(app, services)
  verifyRoute(app, services)
  // The Merkle tree's checkpoints and proofs (public ones among them).
  await app.register(auditTreeRoutes, { services })
}

/** The log itself, filtered and paged, for the roles that may read it. */
function listRoute(app: RoutesApp, services: AuditRoutesDeps) {
  app.get(
    '/v1/audit',
    {
      config: { access: { roles: ['privacy_officer', 'admin'] } },
      schema: {
        tags: ['audit'],
        summary:
          'Audit entries, newest first, a page at a time; filter by subject, action, actor and time',
        querystring: z.object({
          subject: CustomerRefSchema.optional(),
          action: Pattern.optional().describe(
            'An action (consent.recorded), or a prefix ending in * (rights.*)',
          ),
          actor: Pattern.optional().describe(
            'An actor (key:key_..., system:rights), or a prefix ending in * (key:*)',
          ),
          from: Instant.optional().describe('From this day (YYYY-MM-DD) or instant, included'),
          to: Instant.optional().describe('Up to this day (included) or instant (excluded)'),
          before: z.coerce
            .number()
            .int()
            .positive()
            .optional()
            .describe('Only entries before this seq: the `next` of the previous page'),
          limit: z.coerce.number().int().min(1).max(500).default(100),
        }),
        response: {
          200: withExample(
            z.object({
              entries: z.array(AuditEntrySchema),
              next: z
                .number()
                .int()
                .nullable()
                .describe('Pass as `before` for the next page; null on the last page'),
            }),
            AUDIT_PAGE_EXAMPLE,
          ),
        },
      },
    },
    async (request) => {
      const { subject, before, limit, action, actor } = request.query
      const from = request.query.from === undefined ? undefined : startOf(request.query.from)
      const to = request.query.to === undefined ? undefined : endOf(request.query.to)
      if (from !== undefined && to !== undefined && from >= to) {
        throw new AppError('validation_failed', 'querystring.from: must be before to', {
          issues: [{ field: 'querystring.from', reason: 'must be before to' }],
        })
      }
      const subjectId =
        subject === undefined ? undefined : await services.identity.findSubjectId(subject)
      if (subject !== undefined && subjectId === undefined) return { entries: [], next: null }
      // One more than asked tells whether another page follows.
      const found = await services.audit.list({
        limit: limit + 1,
        ...(subjectId === undefined ? {} : { subjectId }),
        ...(before === undefined ? {} : { beforeSeq: before }),
        ...(action === undefined ? {} : { action }),
        ...(actor === undefined ? {} : { actor }),
        ...(from === undefined ? {} : { from }),
        ...(to === undefined ? {} : { to }),
      })
      const entries = found.slice(0, limit)
      if (subjectId !== undefined) {
        await services.audit.recordNow({
          actor: actorOf(request),
          action: 'audit.read_subject',
          subjectId,
          details: { entries: entries.length },
        })
      }
      return { entries, next: found.length > limit ? (entries.at(-1)?.seq ?? null) : null }
    },
  )
}

/** The chain and the tree checked end to end. */
function verifyRoute(app: RoutesApp, services: AuditRoutesDeps) {
  app.get(
    '/v1/audit/verify',
    {
      config: { access: { roles: ['privacy_officer', 'admin'] } },
      schema: {
        tags: ['audit'],
        summary:
          'Recompute the hash chain and the Merkle tree; report the first broken entry and what no longer matches a signed checkpoint',
        response: { 200: withExample(Verification, AUDIT_VERIFY_EXAMPLE) },
      },
    },
    async () => {
      const chain = await services.audit.verify()
      const { ok, entries, rootHash, checkpointsChecked, problems } =
        await services.audit.verifyTree()
      const reason = chain.ok ? problems[0] : chain.reason
      return {
        ...chain,
        ok: chain.ok && ok,
        ...(reason === undefined ? {} : { reason }),
        tree: { ok, entries, rootHash, checkpointsChecked, problems },
      }
    },
  )
}
