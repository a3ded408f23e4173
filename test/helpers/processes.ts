/**
 * For tests that run real `candor start` processes: a free port to start one on, and a request on a
 * connection of its own (so a cluster primary hands each to the next worker in turn, and no keep-alive
 * connection outlives a process the test stops).
 */
import { once } from 'node:events'
import http from 'node:http'
import net from 'node:net'

export interface ProcessAnswer {
  status: number
  text: string
  json<T = unknown>(): T
}

/** A port nothing listens on now (the OS picks one, and it is let go at once). */
export async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as net.AddressInfo
  server.close()
  await once(server, 'close')
  return port
}

/** `method url` on 127.0.0.1:`port` with the bearer `key`, and `body` as JSON when given. */
export function request(
  port: number,
  method: string,
  url: string,
  key: string,
  body?: unknown,
): Promise<ProcessAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path: url,
        agent: false,
        headers: {
          authorization: `Bearer ${key}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
      },
      (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => (text += chunk))
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            text,
            json: <T>() => JSON.parse(text) as T,
          }),
        )
      },
    )
    req.on('error', reject)
    req.end(body === undefined ? undefined : JSON.stringify(body))
  })
}
