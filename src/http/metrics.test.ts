import { AggregatorRegistry, Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { RequestSeries } from './metrics.js'

function registryOf(series: RequestSeries): Registry {
  const registry = new Registry()
  registry.registerMetric(series.counter())
  registry.registerMetric(series.histogram())
  return registry
}

describe('the request series', () => {
  it('reads as Prometheus counters and cumulative histogram buckets', async () => {
    const series = new RequestSeries()
    series.observe('GET', '/v1/recommendations', 200, 0.0004)
    series.observe('GET', '/v1/recommendations', 200, 0.003)
    series.observe('GET', '/v1/recommendations', 401, 7)
    series.observe('POST', '/v1/events', 201, 0.02)
    const text = await registryOf(series).metrics()
    const line = (name: string) =>
      text.split('\n').find((l) => l.startsWith(`${name} `) || l === name)
    expect(text).toContain('# TYPE candor_http_requests_total counter')
    expect(text).toContain('# TYPE candor_http_request_duration_seconds histogram')
    expect(
      line('candor_http_requests_total{method="GET",route="/v1/recommendations",status="200"}'),
    ).toMatch(/ 2$/)
    expect(
      line('candor_http_requests_total{method="GET",route="/v1/recommendations",status="401"}'),
    ).toMatch(/ 1$/)
    const bucket = (le: string) =>
      line(
        `candor_http_request_duration_seconds_bucket{le="${le}",method="GET",route="/v1/recommendations"}`,
      )
    expect(bucket('0.001')).toMatch(/ 1$/)
    expect(bucket('0.0025')).toMatch(/ 1$/)
    expect(bucket('0.005')).toMatch(/ 2$/)
    expect(bucket('2.5')).toMatch(/ 2$/)
    expect(bucket('+Inf')).toMatch(/ 3$/)
    expect(
      line('candor_http_request_duration_seconds_count{method="GET",route="/v1/recommendations"}'),
    ).toMatch(/ 3$/)
    const sum = line(
      'candor_http_request_duration_seconds_sum{method="GET",route="/v1/recommendations"}',
    )
    expect(Number(sum?.split(' ')[1])).toBeCloseTo(7.0034, 6)
  })

  it('sums over processes series by series (how the primary answers for its workers)', async () => {
    const a = new RequestSeries()
    const b = new RequestSeries()
    a.observe('GET', '/health/live', 200, 0.0001)
    b.observe('GET', '/health/live', 200, 0.0002)
    b.observe('GET', '/health/live', 200, 0.02)
    const both = AggregatorRegistry.aggregate([
      await registryOf(a).getMetricsAsJSON(),
      await registryOf(b).getMetricsAsJSON(),
    ])
    const text = await both.metrics()
    expect(text).toContain(
      'candor_http_requests_total{method="GET",route="/health/live",status="200"} 3',
    )
    expect(text).toContain(
      'candor_http_request_duration_seconds_bucket{le="0.001",method="GET",route="/health/live"} 2',
    )
    expect(text).toContain(
      'candor_http_request_duration_seconds_count{method="GET",route="/health/live"} 3',
    )
  })
})
