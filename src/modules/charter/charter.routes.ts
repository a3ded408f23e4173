import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Charter } from './charter.js'
import { renderNotice } from './charter.notice.js'
import { renderNoticeHtml } from './charter.notice.html.js'
import { NOTICE_ANSWER } from './charter.notice.schema.js'

/** The plain-language privacy notice generated from the charter: public, JSON or HTML by `Accept`. */
export const charterRoutes: FastifyPluginAsyncZod<{ services: { charter: Charter } }> = async (
  app,
  { services },
) => {
  const notice = renderNotice(services.charter)
  const html = renderNoticeHtml(notice)
  const etag = `"${notice.version}"`

  app.get(
    '/v1/notice',
    {
      config: { access: { public: true } },
      schema: {
        tags: ['notice'],
        summary:
          'The privacy notice in plain language; its version is a content hash of the charter (HTML with Accept: text/html)',
        querystring: z.object({ format: z.enum(['json', 'html']).optional() }),
        response: {
          200: NOTICE_ANSWER,
          304: z.null().describe('Not modified: the notice still has the version in If-None-Match'),
        },
      },
    },
    async (request, reply) => {
      // Added to any Vary already set (CORS adds Origin), so a cache keeps each answer apart.
      const vary = reply.getHeader('vary')
      reply
        .header('etag', etag)
        .header('cache-control', 'no-cache')
        .header('vary', vary === undefined ? 'Accept' : `${String(vary)}, Accept`)
      if (request.headers['if-none-match'] === etag) return reply.code(304).send(null)
      const wantsHtml =
        request.query.format === 'html' ||
        (request.query.format === undefined && /text\/html/.test(request.headers.accept ?? ''))
      if (wantsHtml)
        return reply
          .type('text/html; charset=utf-8')
          .serializer((x) => x as string)
          .send(html)
      return notice
    },
  )
}
