import type { FastifyInstance } from 'fastify'
import { Counter, type Metric, Registry, collectDefaultMetrics } from 'prom-client'

/**
 * Prometheus metrics in a registry owned by this app (so tests can build many apps): request counts
 * and latency histograms per route pattern and status. Labels use the route pattern, never the raw
 * URL, which may carry a customer reference.
 *
 * The two per-request series are counted here in plain numbers and handed to prom-client only when
 * read (`/metrics`, or the primary asking a worker): prom-client's own counter and histogram hash
 * their labels on every call, which was a measurable part of serving a request.
 */
export function registerMetrics(app: FastifyInstance): Registry {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'candor_' })
  const requests = new RequestSeries()
  registry.registerMetric(requests.counter())
  registry.registerMetric(requests.histogram())
  app.addHook('onResponse', (request, reply, done) => {
    requests.observe(
      request.method,
      request.routeOptions.url ?? 'unmatched',
      reply.statusCode,
      reply.elapsedTime / 1000,
    )
    done()
  })
  return registry
}

const REQUESTS = 'candor_http_requests_total'
const DURATION = 'candor_http_request_duration_seconds'
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]

interface Latency {
  labels: { method: string; route: string }
  /** Per bucket (not cumulative), the last one past the largest bound. */
  counts: Float64Array
  sum: number
}

interface Count {
  labels: { method: string; route: string; status: string }
  value: number
}

/** Requests by method, route and status, and their latency by method and route. */
export class RequestSeries {
  private readonly counts = new Map<string, Count>()
  private readonly latencies = new Map<string, Latency>()

  observe(method: string, route: string, status: number, seconds: number): void {
    const key = `${method} ${route}`
    let latency = this.latencies.get(key)
    if (latency === undefined) {
      latency = { labels: { method, route }, counts: new Float64Array(BUCKETS.length + 1), sum: 0 }
      this.latencies.set(key, latency)
    }
    let bucket = 0
    while (bucket < BUCKETS.length && seconds > BUCKETS[bucket]!) bucket++
    latency.counts[bucket]! += 1
    latency.sum += seconds
    const countKey = `${key} ${status}`
    const count = this.counts.get(countKey)
    if (count === undefined)
      this.counts.set(countKey, { labels: { method, route, status: String(status) }, value: 1 })
    else count.value += 1
  }

  /** `candor_http_requests_total`, as prom-client reads a metric. */
  counter(): Metric {
    const get = () => ({
      name: REQUESTS,
      help: 'HTTP requests by method, route and status',
      type: 'counter',
      aggregator: 'sum',
      values: [...this.counts.values()].map(({ labels, value }) => ({
        labels: { ...labels },
        value,
      })),
    })
    return this.metric(REQUESTS, get, () => this.counts.clear())
  }

  /** `candor_http_request_duration_seconds`, as prom-client reads a metric. */
  histogram(): Metric {
    const get = () => ({
      name: DURATION,
      help: 'HTTP request latency by method and route',
      type: 'histogram',
      aggregator: 'sum',
      values: [...this.latencies.values()].flatMap(({ labels, counts, sum }) => {
        let cumulative = 0
        const buckets = BUCKETS.map((le, k) => {
          cumulative += counts[k]!
          return { labels: { le, ...labels }, value: cumulative, metricName: `${DURATION}_bucket` }
        })
        const total = cumulative + counts[BUCKETS.length]!
        return [
          ...buckets,
          { labels: { le: '+Inf', ...labels }, value: total, metricName: `${DURATION}_bucket` },
          { labels: { ...labels }, value: sum, metricName: `${DURATION}_sum` },
          { labels: { ...labels }, value: total, metricName: `${DURATION}_count` },
        ]
      }),
    })
    return this.metric(DURATION, get, () => this.latencies.clear())
  }

  private metric(name: string, get: () => object, reset: () => void): Metric {
    return { name, get: async () => get(), reset } as unknown as Metric
  }
}

/** Failed authentications and the requests refused for too many, read from the limit when scraped. */
export function registerAuthFailureMetrics(
  registry: Registry,
  limit: { failures: number; blocked: number },
): void {
  registry.registerMetric(
    new Counter({
      name: 'candor_auth_failures_total',
      help: 'Requests to protected routes whose credential was missing, malformed or not valid (401)',
      registers: [],
      collect() {
        this.reset()
        this.inc(limit.failures)
      },
    }),
  )
  registry.registerMetric(
    new Counter({
      name: 'candor_auth_rate_limited_total',
      help: 'Requests answered 429 auth_rate_limited: their address had too many failed authentications',
      registers: [],
      collect() {
        this.reset()
        this.inc(limit.blocked)
      },
    }),
  )
}
