import type { FastifyInstance, FastifyRequest } from 'fastify'
import { AppError } from '../lib/errors.js'

/**
 * Counts per key in fixed windows of `windowMs`, each starting at the key's first count; keys whose
 * window ended are forgotten by `sweep` (run once per window by the owner). The one counter both
 * limits below use.
 */
export class FixedWindows {
  private readonly windows = new Map<string, { count: number; resetAt: number }>()

  constructor(private readonly windowMs: number) {}

  /** Counts one for `key`; answers its count in the current window and when the window ends. */
  hit(key: string, now = Date.now()): { count: number; resetAt: number } {
    let window = this.windows.get(key)
    if (window === undefined || window.resetAt <= now) {
      window = { count: 0, resetAt: now + this.windowMs }
      this.windows.set(key, window)
    }
    window.count += 1
    return window
  }

  /** The key's count in its current window, without counting (0 when it has none). */
  peek(key: string, now = Date.now()): { count: number; resetAt: number } {
    const window = this.windows.get(key)
    return window === undefined || window.resetAt <= now ? { count: 0, resetAt: now } : window
  }

  sweep(now = Date.now()): void {
    for (const [key, window] of this.windows) if (window.resetAt <= now) this.windows.delete(key)
  }

  /** Sweeps once per window until the app closes. */
  sweepWhileOpen(app: FastifyInstance): void {
    const timer = setInterval(() => this.sweep(), this.windowMs)
    timer.unref()
    app.addHook('onClose', (_instance, done) => {
      clearInterval(timer)
      done()
    })
  }
}

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
 * times what the bare Fastify route spends on a whole request (bench:serve).
 */
export function registerRateLimit(app: FastifyInstance, options: RateLimitOptions): void {
  const { max, windowMs, keyOf } = options
  const windows = new FixedWindows(windowMs)
  windows.sweepWhileOpen(app)

  app.addHook('onRequest', (request, reply, done) => {
    const now = Date.now()
    const window = windows.hit(keyOf(request), now)
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

/**
 * Failed authentications per client address (`request.ip`: the peer, or the client a trusted proxy names
 * in `X-Forwarded-For`, see CANDOR_TRUSTED_PROXIES). Past `max` failures in a window, every request from
 * that address to a protected route answers 429 `auth_rate_limited` before its credential is even
 * checked, until the window ends: guessing keys or tokens costs a minute per `max` guesses.
 *
 * Not @fastify/rate-limit: it counts requests, and what must be counted here is the failures only,
 * decided after the credential was checked; the window counter is the same one the request budget uses.
 */
export class AuthFailureLimit {
  private readonly windows: FixedWindows
  /** Failed authentications seen, and requests refused for too many of them (for /metrics). */
  failures = 0
  blocked = 0
  /** Whether an app's route guard counts with it (false in a CLI process: its counts mean nothing). */
  serving = false

  constructor(
    readonly max: number,
    readonly windowMs = 60_000,
  ) {
    this.windows = new FixedWindows(windowMs)
  }

  /**
   * Seconds until the address may try again when it is past its failures (call before checking a
   * credential), else undefined.
   */
  retryAfter(address: string, now = Date.now()): number | undefined {
    const window = this.windows.peek(address, now)
    if (window.count < this.max) return undefined
    this.blocked += 1
    return Math.max(1, Math.ceil((window.resetAt - now) / 1000))
  }

  fail(address: string, now = Date.now()): void {
    this.failures += 1
    this.windows.hit(address, now)
  }

  sweepWhileOpen(app: FastifyInstance): void {
    this.serving = true
    this.windows.sweepWhileOpen(app)
  }
}
