import type { FastifyBaseLogger } from 'fastify'

type Bindings = Record<string, unknown>

/**
 * `request.log`: the request's child logger (bound to its request id), made only when something is
 * logged through it. Most requests log nothing there (their line comes from the request log), and a
 * pino child per request was a measurable part of serving one. Its methods live on the prototype, so
 * a request costs one small object.
 */
class LazyRequestLogger {
  #child: FastifyBaseLogger | undefined

  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly options: object,
  ) {}

  #real(): FastifyBaseLogger {
    this.#child ??= this.parent.child(this.bindings, this.options)
    return this.#child
  }

  #log(level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace', args: unknown[]): void {
    const real = this.#real()
    Reflect.apply(real[level], real, args)
  }

  get level(): string {
    return this.#child?.level ?? this.parent.level
  }
  set level(level: string) {
    this.#real().level = level
  }
  fatal(...args: unknown[]) {
    this.#log('fatal', args)
  }
  error(...args: unknown[]) {
    this.#log('error', args)
  }
  warn(...args: unknown[]) {
    this.#log('warn', args)
  }
  info(...args: unknown[]) {
    this.#log('info', args)
  }
  debug(...args: unknown[]) {
    this.#log('debug', args)
  }
  trace(...args: unknown[]) {
    this.#log('trace', args)
  }
  silent() {}
  child(bindings: Bindings, options?: object): FastifyBaseLogger {
    return this.#real().child(bindings, options)
  }
}

/** Fastify's `childLoggerFactory` giving each request a `LazyRequestLogger`. */
export function lazyChildLogger(
  parent: FastifyBaseLogger,
  bindings: Bindings,
  options: object,
): FastifyBaseLogger {
  return new LazyRequestLogger(parent, bindings, options)
}
