import type { FastifyInstance } from 'fastify'
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

/**
 * Prometheus metrics in a registry owned by this app (so tests can build many apps): request counts
 * and latency histograms per route pattern and status. Labels use the route pattern, never the raw
 * URL, which may carry a customer reference.
 */
export function registerMetrics(app: FastifyInstance): Registry {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'candor_' })
  const requests = new Counter({
    name: 'candor_http_requests_total',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  })
  const latency = new Histogram({
    name: 'candor_http_request_duration_seconds',
    help: 'HTTP request latency by method and route',
    labelNames: ['method', 'route'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  })
  // The series a request lands in, found once per method, route and status: prom-client otherwise
  // hashes the label set on every call, twice per request.
  const series = new Map<
    string,
    { counter: ReturnType<typeof requests.labels>; histogram: ReturnType<typeof latency.labels> }
  >()
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched'
    const key = `${request.method} ${route} ${reply.statusCode}`
    let found = series.get(key)
    if (found === undefined) {
      found = {
        counter: requests.labels({
          method: request.method,
          route,
          status: String(reply.statusCode),
        }),
        histogram: latency.labels({ method: request.method, route }),
      }
      series.set(key, found)
    }
    found.counter.inc()
    found.histogram.observe(reply.elapsedTime / 1000)
    done()
  })
  return registry
}
