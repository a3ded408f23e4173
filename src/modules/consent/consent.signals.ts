import type { FastifyRequest } from 'fastify'
import type { RequestSignals } from './consent.service.js'

/**
 * What the request itself says about the shopper's choices: Global Privacy Control (`Sec-GPC: 1`) and
 * the jurisdiction the caller states (query `jurisdiction`, else body `jurisdiction`).
 */
export function signalsOf(request: FastifyRequest): RequestSignals {
  const query = request.query as Record<string, unknown> | undefined
  const body = request.body as Record<string, unknown> | undefined
  const stated =
    query?.jurisdiction ??
    (body !== null && typeof body === 'object' ? body.jurisdiction : undefined)
  return {
    gpc: request.headers['sec-gpc'] === '1',
    jurisdiction: typeof stated === 'string' ? stated : undefined,
  }
}
