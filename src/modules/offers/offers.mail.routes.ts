import { z } from 'zod'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { textAnswer, withExample } from '../../http/openapi.js'
import { actorOf } from '../audit/index.js'
import { escapeHtml } from '../charter/index.js'
import type { OfferMail, SendCounts, UnsubscribeOutcome } from './offers.mail.js'

const SendBodySchema = z.strictObject({
  touchpoint: z
    .string()
    .min(1)
    .max(64)
    .describe('A charter touchpoint whose channel is email (offers_email in the example charter)'),
})

const SendCountsSchema = z.object({
  touchpoint: z.string(),
  candidates: z
    .int()
    .describe('Subjects with a grant on record for the touchpoint purposes, allowed now'),
  prepared: z.int().describe('Messages put in the outbox'),
  capped: z.int().describe("Held back by the touchpoint's frequency cap"),
  noOffer: z.int().describe('No running offer eligible at the level their consent allows'),
  noAddress: z.int().describe('No e-mail address in the vault'),
  byOffer: z.record(z.string(), z.int()).describe('Messages prepared per offer id'),
})

const SEND_EXAMPLE: SendCounts = {
  touchpoint: 'offers_email',
  candidates: 120,
  prepared: 97,
  capped: 11,
  noOffer: 8,
  noAddress: 4,
  byOffer: { 'spring-newsletter': 97 },
}

const TokenParams = z.object({
  token: z
    .string()
    .min(1)
    .max(512)
    .describe('The token of an unsubscribe link (sealed: it names nobody in clear)'),
})

const OUTCOMES = ['unsubscribed', 'already_unsubscribed', 'nothing_held'] as const
const UnsubscribeAnswerSchema = z.object({
  status: z
    .enum(OUTCOMES)
    .describe('nothing_held: nothing is on record (erased since); nothing was written'),
  purpose: z.string(),
})

const CONFIRM_HTML = textAnswer('A page that asks to confirm, with one button (no script)', {
  'text/html':
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Unsubscribe</title></head><body><main><h1>No more offers by e-mail?</h1>…<form method="post"><button name="List-Unsubscribe" value="One-Click">Unsubscribe</button></form></main></body></html>',
})

const SAID: Record<UnsubscribeOutcome, string> = {
  unsubscribed:
    'Done: you will get no more of these offers. You can change this in the privacy center.',
  already_unsubscribed: 'You had already unsubscribed: nothing more to do.',
  nothing_held: 'We hold nothing on you any more: there is nothing to unsubscribe from.',
}

/** A small page with no script (the answer's CSP allows none inline) and nothing about the shopper. */
function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>body{font:1rem/1.5 system-ui,sans-serif;margin:0;padding:1rem;color:#1a1a1a}main{max-width:32rem;margin:2rem auto}button{font:inherit;padding:.6rem 1.2rem;border:0;border-radius:.4rem;background:#1f4f8f;color:#fff;cursor:pointer}</style>
</head><body><main><h1>${escapeHtml(title)}</h1>${body}</main></body></html>`
}

/**
 * The e-mail touchpoint over HTTP: staff prepare a send (counts back), and the one-click unsubscribe
 * link (RFC 8058): GET shows a page that asks to confirm, POST (from that page, or a mail client's
 * `List-Unsubscribe=One-Click`) records the withdrawal. Both are public: the token is the credential.
 */
export const offerMailRoutes: FastifyPluginAsyncZod<{
  services: { offerMail: OfferMail }
}> = async (app, { services }) => {
  const mail = services.offerMail
  // RFC 8058's POST body is a form (`List-Unsubscribe=One-Click`); read here, and only here.
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: 1024 },
    (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))),
  )

  app.post(
    '/v1/offers/sends',
    {
      config: { access: { roles: ['admin'] } },
      schema: {
        tags: ['offers'],
        summary:
          'Prepare one message per consenting subject at an e-mail touchpoint, through the outbox, each with a one-click unsubscribe link; answers counts only',
        body: withExample(SendBodySchema, { touchpoint: 'offers_email' }),
        response: { 200: withExample(SendCountsSchema, SEND_EXAMPLE) },
      },
    },
    async (request) => mail.send(request.body.touchpoint, actorOf(request)),
  )
  unsubscribeRoutes(app, mail)
}

/** `GET` and `POST /v1/unsubscribe/:token` (RFC 8058): public, the token is the credential. */
function unsubscribeRoutes(app: Parameters<FastifyPluginAsyncZod>[0], mail: OfferMail): void {
  app.get(
    '/v1/unsubscribe/:token',
    {
      config: { access: { public: true } },
      schema: {
        tags: ['offers'],
        summary:
          'The page an unsubscribe link opens: asks to confirm (nothing changes on GET); 400 names the token when it was altered or has expired',
        params: TokenParams,
        response: { 200: CONFIRM_HTML },
      },
    },
    async (request, reply) => {
      const { title } = mail.check(request.params.token)
      const body = `<p>You will get no more e-mails for “${escapeHtml(title)}”. Nothing else changes.</p>
<form method="post"><button type="submit" name="List-Unsubscribe" value="One-Click">Unsubscribe</button></form>`
      return reply
        .type('text/html; charset=utf-8')
        .header('referrer-policy', 'no-referrer')
        .serializer((x) => x as string)
        .send(page('No more offers by e-mail?', body))
    },
  )

  app.post(
    '/v1/unsubscribe/:token',
    {
      config: { access: { public: true } },
      schema: {
        tags: ['offers'],
        summary:
          'One-click unsubscribe (RFC 8058): withdraws the purpose the link names in the consent ledger; a second click writes nothing. HTML for a browser (Accept: text/html), JSON otherwise',
        params: TokenParams,
        response: {
          200: withExample(UnsubscribeAnswerSchema, {
            status: 'unsubscribed',
            purpose: 'marketing.advertising.first_party',
          }),
        },
      },
    },
    async (request, reply) => {
      const { token } = request.params
      const { purpose } = mail.check(token)
      const status = await mail.unsubscribe(token)
      if (/text\/html/.test(request.headers.accept ?? ''))
        return (
          reply
            .type('text/html; charset=utf-8')
            .header('referrer-policy', 'no-referrer')
            .serializer((x) => x as string)
            // The page, not the JSON the schema types (the serializer above passes it through).
            .send(page('Unsubscribed', `<p>${escapeHtml(SAID[status])}</p>`) as never)
        )
      return { status, purpose }
    },
  )
}
