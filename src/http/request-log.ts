import os from 'node:os'
import type { FastifyBaseLogger } from 'fastify'

/** What the one log line per request says: the route pattern, never the URL (it may hold a customer ref). */
export interface RequestLine {
  reqId: string
  method: string
  route: string
  status: number
  ms: number
}

export type RequestLog = (line: RequestLine) => void

/** Through the logger, as any other line: for tests and loggers the runtime did not make. */
export function loggerRequestLog(logger: FastifyBaseLogger): RequestLog {
  return ({ reqId, method, route, status, ms }) =>
    logger.info({ reqId, method, route, status, ms }, 'request')
}

/**
 * The same line as `loggerRequestLog` with pino's default format (level, time, pid, hostname, then the
 * fields and `msg`), written straight to the logger's destination. Every field is one the server made
 * (id, method, route pattern, status, time), so the line needs neither pino's serializers nor its
 * redaction: in the server they cost more CPU per request than the bare Fastify route spends on a whole
 * request (bench:serve).
 */
export function directRequestLog(
  isEnabled: () => boolean,
  destination: { write(text: string): unknown },
): RequestLog {
  const base = `,"pid":${process.pid},"hostname":${JSON.stringify(os.hostname())}`
  /** Route patterns and methods are few; their JSON is made once. */
  const quoted = new Map<string, string>()
  const q = (text: string) => {
    let json = quoted.get(text)
    if (json === undefined) {
      json = JSON.stringify(text)
      if (quoted.size < 1000) quoted.set(text, json)
    }
    return json
  }
  return ({ reqId, method, route, status, ms }) => {
    if (!isEnabled()) return
    destination.write(
      `{"level":30,"time":${Date.now()}${base},"reqId":"${reqId}","method":${q(method)},"route":${q(route)},"status":${status},"ms":${ms},"msg":"request"}\n`,
    )
  }
}
