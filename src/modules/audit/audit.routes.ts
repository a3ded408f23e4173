import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { actorOf } from '../../http/actor.js'
import type { Services } from '../../services.js'
import { AuditEntrySchema } from './audit.js'

const Verification = z.object({
  ok: z.boolean(),
  entries: z.number().int(),
  headHash: z.string().optional(),
  firstBrokenSeq: z.number().int().optional(),
  reason: z.string().optional(),
})

/** Reading the audit log and checking its chain (staff only). */
export const auditRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (
  app,
  { services },
) => {
  app.get(
    '/v1/audit',
    {
      config: { access: { roles: ['privacy_officer', 'admin'] } },
      schema: {
        tags: ['audit'],
        summary: 'Audit entries, newest first; filter by subject',
        querystring: z.object({
          subject: z.string().min(1).max(200).optional().describe("A shop's customer reference"),
          before: z.coerce
            .number()
            .int()
            .positive()
            .optional()
            .describe('Only entries before this seq'),
          limit: z.coerce.number().int().min(1).max(500).default(100),
        }),
        response: { 200: z.object({ entries: z.array(AuditEntrySchema) }) },
      },
    },
    async (request) => {
      const { subject, before, limit } = request.query
      const subjectId =
        subject === undefined ? undefined : await services.identity.findSubjectId(subject)
      if (subject !== undefined && subjectId === undefined) return { entries: [] }
      const entries = await services.audit.list({
        limit,
        ...(subjectId === undefined ? {} : { subjectId }),
        ...(before === undefined ? {} : { beforeSeq: before }),
      })
      if (subjectId !== undefined) {
        await services.audit.recordNow({
          actor: actorOf(request),
          action: 'audit.read_subject',
          subjectId,
          details: { entries: entries.length },
        })
      }
      return { entries }
    },
  )

  app.get(
    '/v1/audit/verify',
    {
      config: { access: { roles: ['privacy_officer', 'admin'] } },
      schema: {
        tags: ['audit'],
        summary: 'Recompute the hash chain and report the first broken entry, if any',
        response: { 200: Verification },
      },
    },
    async () => services.audit.verify(),
  )
}
