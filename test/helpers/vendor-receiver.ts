import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { Webhook } from 'standardwebhooks'

/** A request a vendor's endpoint received, as it arrived. */
export interface Received {
  path: string
  headers: Record<string, string>
  body: string
  /** The status the receiver answered. */
  status: number
  /** When it arrived by the test's clock (ms). */
  at: number
}

/** Secrets in the Standard Webhooks format, one per vendor (fixed, test-only). */
export const SECRETS = {
  'cloud-host': `whsec_${Buffer.alloc(32, 7).toString('base64')}`,
  'ad-network': `whsec_${Buffer.alloc(32, 9).toString('base64')}`,
} as const

/**
 * A vendor's endpoint on this machine (node:http): it records every request and answers with what
 * `answer` says for it (default 204). `accepted` is what a well-behaved receiver keeps: each
 * `webhook-id` once, among the requests it answered with a 2xx and whose signature verified.
 */
export async function startReceiver(now: () => number = Date.now) {
  const requests: Received[] = []
  let answer: (path: string, count: number) => number = () => 204
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const path = req.url ?? '/'
      const status = answer(path, requests.filter((r) => r.path === path).length)
      const headers: Record<string, string> = {}
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v
      requests.push({
        path,
        headers,
        body: Buffer.concat(chunks).toString('utf8'),
        status,
        at: now(),
      })
      res.statusCode = status
      res.end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    answerWith(fn: (path: string, count: number) => number) {
      answer = fn
    },
    /** Each delivered message once by its webhook-id, verified with the vendor's secret. */
    accepted(vendor: keyof typeof SECRETS, path = `/${vendor}`) {
      const verifier = new Webhook(SECRETS[vendor])
      const seen = new Map<string, Record<string, unknown>>()
      for (const r of requests) {
        if (r.path !== path || r.status >= 300) continue
        const id = r.headers['webhook-id']!
        if (seen.has(id)) continue
        seen.set(id, verifyAt(verifier, r))
      }
      return seen
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

export type Receiver = Awaited<ReturnType<typeof startReceiver>>

/**
 * Verifies as the receiver would have when the request arrived: the library checks the timestamp
 * against `Date.now()` (5 minutes' tolerance), and the tests run on a manual clock.
 */
function verifyAt(verifier: Webhook, r: Received): Record<string, unknown> {
  const realNow = Date.now
  Date.now = () => r.at
  try {
    return verifier.verify(r.body, r.headers) as Record<string, unknown>
  } finally {
    Date.now = realNow
  }
}

/** The environment that points both test vendors at a receiver. */
export function vendorEnv(url: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    CANDOR_VENDOR_CLOUD_HOST_URL: `${url}/cloud-host`,
    CANDOR_VENDOR_CLOUD_HOST_SECRET: SECRETS['cloud-host'],
    CANDOR_VENDOR_AD_NETWORK_URL: `${url}/ad-network`,
    CANDOR_VENDOR_AD_NETWORK_SECRET: SECRETS['ad-network'],
    CANDOR_VENDOR_AD_NETWORK_DELETION_URL: `${url}/ad-network/deletions`,
    CANDOR_VENDOR_DELIVERY_INTERVAL_SECONDS: '0',
    CANDOR_VENDOR_MAX_TRIES: '5',
    ...extra,
  }
}
