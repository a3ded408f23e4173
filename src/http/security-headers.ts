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

/**
 * The headers helmet's middleware sets with these options, computed once at start: none of them
 * depends on the request, and setting the finished list costs 1 to 2 µs a request, less than running
 * the middleware (2 to 4 µs; measured on the development machine).
 */
function helmetHeaders(options: Parameters<typeof helmet>[0]): [string, string][] {
  const headers = new Map<string, string>()
  const response = {
    setHeader: (name: string, value: string) => headers.set(name.toLowerCase(), value),
    removeHeader: (name: string) => headers.delete(name.toLowerCase()),
  }
  helmet(options)({} as never, response as never, () => undefined)
  return [...headers]
}

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
 * The headers are helmet's, computed once at start; `@fastify/helmet` is not used because it builds
 * helmet's middleware anew for every request (about 10 µs each).
 * Every answer is `cache-control: no-store` unless its route says otherwise (the notice, the pages,
 * their assets and the SDK do).
 */
export async function registerSecurityHeaders(
  app: FastifyInstance,
  options: SecurityHeadersOptions,
): Promise<void> {
  const headers = helmetHeaders({
    contentSecurityPolicy: { useDefaults: false, directives: CSP_DIRECTIVES },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    // Behind a TLS proxy, the proxy decides; a plain-HTTP answer must not carry it.
    strictTransportSecurity: options.https
      ? { maxAge: 31_536_000, includeSubDomains: false }
      : false,
  })
  // On the raw response, so a route's own `reply.header` (the SDK's CORP, say) takes precedence.
  app.addHook('onRequest', (_request, reply, done) => {
    for (const [name, value] of headers) reply.raw.setHeader(name, value)
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
