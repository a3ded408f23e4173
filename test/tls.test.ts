import fs from 'node:fs'
import https from 'node:https'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigError, parseConfig } from '../src/config.js'
import { type TestContext, createTestContext } from './helpers/test-context.js'

const FIXTURES = path.resolve('test/fixtures/tls')
const CERT = path.join(FIXTURES, 'localhost.cert.pem')
const KEY = path.join(FIXTURES, 'localhost.key.pem')

function get(port: number, url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = https.get(
      { host: '127.0.0.1', port, path: url, ca: fs.readFileSync(CERT), servername: 'localhost' },
      (response) => {
        let body = ''
        response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk))
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }))
      },
    )
    request.on('error', reject)
  })
}

describe('HTTPS served directly (CANDOR_TLS_CERT, CANDOR_TLS_KEY)', () => {
  let ctx: TestContext
  let port: number
  beforeAll(async () => {
    ctx = await createTestContext('sqlite', { env: { CANDOR_TLS_CERT: CERT, CANDOR_TLS_KEY: KEY } })
    await ctx.app.listen({ port: 0, host: '127.0.0.1' })
    port = (ctx.app.server.address() as { port: number }).port
  })
  afterAll(async () => {
    await ctx?.close()
  })

  it('answers over TLS with the configured certificate', async () => {
    const live = await get(port, '/health/live')
    expect(live.status).toBe(200)
    const notice = await get(port, '/v1/notice')
    expect(JSON.parse(notice.body)).toHaveProperty('version')
  })

  it('refuses plain HTTP on the same port', async () => {
    const plain = await fetch(`http://127.0.0.1:${port}/health/live`).then(
      (response) => response.status,
      () => 'refused',
    )
    expect(plain).not.toBe(200)
  })

  it('needs both files, and names the variable of a missing one', () => {
    expect(() => parseConfig({ CANDOR_TLS_CERT: CERT })).toThrow(/CANDOR_TLS_KEY: must be set too/)
    expect(() => parseConfig({ CANDOR_TLS_KEY: KEY })).toThrow(/CANDOR_TLS_CERT: must be set too/)
    expect(() => parseConfig({ CANDOR_TLS_CERT: '/nope.pem', CANDOR_TLS_KEY: KEY })).toThrow(
      ConfigError,
    )
    expect(parseConfig({}).tls).toBeUndefined()
  })
})
