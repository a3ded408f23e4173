import sseModule from '@fastify/sse'
import type { FastifyPluginAsync, FastifyReply } from 'fastify'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { textAnswer } from '../../http/openapi.js'
import type { VoiceService } from './voice.service.js'

// The package is CommonJS: its module object is the plugin wrapped by fastify-plugin (so its reply
// decorator reaches the routes below), which its types describe only as the namespace.
const fastifySse = sseModule as unknown as FastifyPluginAsync

const FEED_EXAMPLE =
  'event: ready\ndata: {}\n\n' +
  'id: voc_0mxcqqu4z0000szlt5w6g\nevent: entry\ndata: {"id":"voc_0mxcqqu4z0000szlt5w6g","kind":"review",' +
  '"purpose":"personalize.recommendations","item":"85123A","rating":1,"survey":null,"question":null,"answer":null,' +
  '"text":"Arrived broken","sentiment":-0.5,"negative":true,"aspects":["quality"],' +
  '"createdAt":"2026-03-02T09:40:00.000Z"}\n\n' +
  'id: val_0mxcqqu4z0000szlt5w6g\nevent: alert\ndata: {"type":"voice.negative_spike",' +
  '"id":"val_0mxcqqu4z0000szlt5w6g","target":{"kind":"item","item":"85123A"},' +
  '"hour":"2026-03-02T09:00:00.000Z","count":6,"baseline":0.1,"statistic":4.5,' +
  '"raisedAt":"2026-03-02T09:40:00.000Z"}\n\n'

/**
 * `GET /v1/voice/feed`: the live feed as server-sent events (the official `@fastify/sse` plugin). A
 * `ready` event first (the listener is subscribed from then on), then `entry` and `alert` events as
 * they happen, each with its id; a comment every 30 s keeps proxies from closing a quiet stream.
 */
export const voiceFeedRoutes: FastifyPluginAsyncZod<{ voice: Pick<VoiceService, 'feed'> }> = async (
  app,
  { voice },
) => {
  await app.register(fastifySse)
  // An open stream would hold the server open: closing the app ends every one of them first.
  const open = new Set<FastifyReply>()
  app.addHook('preClose', async () => {
    for (const reply of open) reply.sse.close()
  })

  app.get(
    '/v1/voice/feed',
    {
      sse: true,
      config: { access: { roles: ['analyst', 'admin'] } },
      schema: {
        tags: ['voice'],
        summary: 'The live feed of entries and alerts (text/event-stream)',
        description:
          'Server-sent events: `ready` once subscribed, then `entry` (a new review, survey answer or feedback: ' +
          'its analysis and text, which passed the personal-data scan, never its owner) and `alert` (a spike ' +
          'of negative entries, as posted to the webhook). Entries and alerts taken by the process the ' +
          'client is connected to.',
        response: { 200: textAnswer('The event stream', { 'text/event-stream': FEED_EXAMPLE }) },
      },
    },
    async (_request, reply) => {
      reply.sse.keepAlive()
      open.add(reply)
      const unsubscribe = voice.feed.subscribe((event) => {
        const message =
          event.type === 'entry'
            ? { id: event.entry.id, event: 'entry', data: event.entry }
            : { id: event.alert.id, event: 'alert', data: event.alert }
        reply.sse.send(message).catch(() => unsubscribe())
      })
      reply.sse.onClose(() => {
        unsubscribe()
        open.delete(reply)
      })
      await reply.sse.send({ event: 'ready', data: {} })
    },
  )
}
