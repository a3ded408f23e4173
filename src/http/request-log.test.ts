import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import { type RequestLine, directRequestLog, loggerRequestLog } from './request-log.js'

const line: RequestLine = {
  reqId: 'req_0123456789abcdef',
  method: 'GET',
  route: '/v1/subjects/:ref/settings',
  status: 200,
  ms: 1.5,
}

function capture() {
  const lines: string[] = []
  return { lines, write: (text: string) => lines.push(text) }
}

describe('the line per request', () => {
  it('is written directly exactly as pino writes it through the logger', () => {
    const out = capture()
    const logger = pino({ level: 'info' }, out)
    loggerRequestLog(logger)(line)
    directRequestLog(() => logger.isLevelEnabled('info'), out)(line)
    expect(out.lines).toHaveLength(2)
    const [viaPino, direct] = out.lines.map((text) => {
      expect(text.endsWith('}\n')).toBe(true)
      const { time, ...rest } = JSON.parse(text) as Record<string, unknown>
      expect(typeof time).toBe('number')
      return rest
    })
    expect(direct).toEqual(viaPino)
    // Key order too: log tooling reads these lines as they are.
    expect(Object.keys(direct!)).toEqual(Object.keys(viaPino!))
  })

  it('follows the log level', () => {
    const out = capture()
    const logger = pino({ level: 'warn' }, out)
    const log = directRequestLog(() => logger.isLevelEnabled('info'), out)
    log(line)
    expect(out.lines).toEqual([])
    logger.level = 'info'
    log(line)
    expect(out.lines).toHaveLength(1)
  })
})
