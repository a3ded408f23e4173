import type { FastifyInstance, FastifyRequest } from 'fastify'
import { AppError } from '../lib/errors.js'

export interface RateLimitOptions {
  /** Requests per caller per window. */
  max: number
  windowMs: number
  /** Whose budget a request counts against (runs after the route guard identified the caller). */
  keyOf: (request: FastifyRequest) => string
}

/**
 * A fixed-window request budget per caller: `max` requests per `windowMs`, counted from the caller's first
 * request in the window. Every answer says where the caller stands (`x-ratelimit-limit`, `-remaining`,
 * `-reset` in seconds); past the budget the answer is a 429 `rate_limited` problem with `retry-after`.
 *
 * Written here rather than taken from a plugin: it runs on every request, and the plugin cost several
 * times what the bare Fastify route spends on a whole request (bench:serve). Callers whose window ended
 * are forgotten once per window.
 */
export function registerRateLimit(app: FastifyInstance, options: RateLimitOptions): void {
  const { max, windowMs, keyOf } = options
  const windows = new Map<string, { count: number; resetAt: number }>()
  const sweep = setInterval(() => {
    const now = Date.now()
    for (const [key, window] of windows) if (window.resetAt <= now) windows.delete(key)
  }, windowMs)
  sweep.unref()
  app.addHook('onClose', (_instance, done) => {
    clearInterval(sweep)
    done()
  })

  app.addHook('onRequest', (request, reply, done) => {
    const now = Date.now()
    const key = keyOf(request)
    let window = windows.get(key)
    if (window === undefined || window.resetAt <= now) {
      window = { count: 0, resetAt: now + windowMs }
      windows.set(key, window)
    }
    window.count += 1
    const reset = Math.ceil((window.resetAt - now) / 1000)
    reply.header('x-ratelimit-limit', max)
    reply.header('x-ratelimit-remaining', Math.max(0, max - window.count))
    reply.header('x-ratelimit-reset', reset)
    if (window.count <= max) {
      done()
      return
    }
    reply.header('retry-after', reset)
    done(
      new AppError(
        'rate_limited',
        'Too many requests from this caller; slow down and retry shortly',
      ),
    )
  })
}
