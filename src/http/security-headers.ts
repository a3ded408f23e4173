import fastifyCors from '@fastify/cors'
import type { FastifyInstance } from 'fastify'
import helmet from 'helmet'

/**
 * The one Content-Security-Policy of every answer: the pages, the HTML notice, Swagger UI at `/docs`
 * (whose index loads its scripts and styles from files, so it needs nothing more) and the JSON answers.
 * Only Candor's own scripts, no inline script, no plugins, no framing, no `<base>`.
 */
export const CSP_DIRECTIVES = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  // Inline styles: the notice page carries its own <style>, and Preact and Swagger UI set style attributes.
  'style-src': ["'self'", "'unsafe-inline'"],
  'img-src': ["'self'", 'data:'],
  'connect-src': ["'self'"],
  'object-src': ["'none'"],
  'frame-ancestors': ["'none'"],
  'base-uri': ["'none'"],
  'form-action': ["'self'"],
} as const

/** Request headers a cross-origin caller (the browser SDK on a shop's pages) may send. */
const CORS_ALLOWED_HEADERS = ['authorization', 'content-type', 'if-none-match']
/** Answer headers a cross-origin caller may read: the request id, rate limits, the notice's ETag. */
const CORS_EXPOSED_HEADERS = [
  'x-request-id',
  'retry-after',
  'x-ratelimit-limit',
  'x-ratelimit-remaining',
  'x-ratelimit-reset',
  'etag',
]

export interface SecurityHeadersOptions {
  /** Exact origins (`https://shop.example`) whose pages may call the API; empty: none may. */
  corsOrigins: readonly string[]
  /** Candor serves HTTPS itself, so it may ask browsers to keep to HTTPS (Strict-Transport-Security). */
  https: boolean
}

/**
 * Security headers on every answer, and CORS for the listed origins only. Register it before the
 * route guard and the rate limiter, so a refusal (401, 429) to a listed origin is readable there too.
 *
 * The headers are helmet's, computed by a middleware built once; `@fastify/helmet` is not used because
 * it builds helmet's middleware anew for every request (about 8 µs each, against under 1 µs).
 * Every answer is `cache-control: no-store` unless its route says otherwise (the notice, the pages,
 * their assets and the SDK do).
 */
export async function registerSecurityHeaders(
  app: FastifyInstance,
  options: SecurityHeadersOptions,
): Promise<void> {
  const setHeaders = helmet({
    contentSecurityPolicy: { useDefaults: false, directives: CSP_DIRECTIVES },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    // Behind a TLS proxy, the proxy decides; a plain-HTTP answer must not carry it.
    strictTransportSecurity: options.https
      ? { maxAge: 31_536_000, includeSubDomains: false }
      : false,
  })
  const noop = () => undefined
  app.addHook('onRequest', (request, reply, done) => {
    setHeaders(request.raw, reply.raw, noop)
    reply.header('cache-control', 'no-store')
    done()
  })

  if (options.corsOrigins.length === 0) return
  const allowed = new Set(options.corsOrigins)
  await app.register(fastifyCors, {
    // An unlisted origin gets no CORS header at all, and its preflight a 404.
    origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin)),
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: CORS_ALLOWED_HEADERS,
    exposedHeaders: CORS_EXPOSED_HEADERS,
    // Bearer tokens only, no cookies: a credentialed request (cookies) is never allowed.
    credentials: false,
    maxAge: 600,
  })
}
