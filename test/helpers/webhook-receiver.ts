import http from 'node:http'
import type { AddressInfo } from 'node:net'

/** A local webhook receiver: every JSON body posted to it, in order. */
export async function startWebhookReceiver() {
  const bodies: unknown[] = []
  const server = http.createServer((request, response) => {
    let text = ''
    request.on('data', (chunk: Buffer) => (text += chunk.toString()))
    request.on('end', () => {
      bodies.push(JSON.parse(text))
      response.writeHead(204).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/hooks/voice`,
    bodies,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
