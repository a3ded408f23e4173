import Fastify from 'fastify'
import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import { lazyChildLogger } from './lazy-logger.js'

describe('the request logger', () => {
  it('is made only when a request logs through it, and then carries the request id', async () => {
    const lines: string[] = []
    const logger = pino({ level: 'info' }, { write: (text: string) => lines.push(text) })
    let children = 0
    const child = logger.child.bind(logger)
    logger.child = ((...args: Parameters<typeof child>) => {
      children += 1
      return child(...args)
    }) as typeof logger.child
    const app = Fastify({
      loggerInstance: logger,
      disableRequestLogging: true,
      genReqId: () => 'req_fixed',
      childLoggerFactory: lazyChildLogger,
    })
    app.get('/quiet', async () => ({ ok: true }))
    app.get('/loud', async (request) => {
      request.log.warn({ step: 1 }, 'something to note')
      request.log.info('and more')
      return { ok: true }
    })
    await app.ready()
    const before = children
    expect((await app.inject({ method: 'GET', url: '/quiet' })).statusCode).toBe(200)
    expect(children).toBe(before)
    expect(lines).toEqual([])

    expect((await app.inject({ method: 'GET', url: '/loud' })).statusCode).toBe(200)
    expect(children).toBe(before + 1)
    const logged = lines.map((text) => JSON.parse(text) as Record<string, unknown>)
    expect(logged.map((l) => [l.reqId, l.msg, l.level])).toEqual([
      ['req_fixed', 'something to note', 40],
      ['req_fixed', 'and more', 30],
    ])
    expect(logged[0]!.step).toBe(1)
    await app.close()
  })
})
