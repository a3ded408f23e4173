import { Webhook } from 'standardwebhooks'

/** How long one POST to a vendor may take before it counts as failed (and is retried). */
export const SEND_TIMEOUT_MS = 10_000

export type SendOutcome = { ok: true } | { ok: false; error: string }

/** Posts one signed message; `send` is replaced only at the edge (never in the module's own tests). */
export type Send = (input: {
  url: string
  secret: string
  id: string
  body: string
  now: Date
}) => Promise<SendOutcome>

const signers = new Map<string, Webhook>()

/**
 * Posts `body` with the Standard Webhooks headers: `webhook-id` (the idempotency id: the same on every
 * retry), `webhook-timestamp` (seconds) and `webhook-signature` (`v1,` HMAC-SHA256 over
 * `id.timestamp.body` with the shared secret), signed by the `standardwebhooks` library. A 2xx answer
 * is success; anything else (or no answer within the timeout) is a failure, described without the
 * body of the answer (it could echo personal data).
 */
export const sendSigned: Send = async ({ url, secret, id, body, now }) => {
  let signer = signers.get(secret)
  if (signer === undefined) {
    signer = new Webhook(secret)
    signers.set(secret, signer)
  }
  const headers = {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
    'webhook-signature': signer.sign(id, now, body),
  }
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers,
      body,
      redirect: 'error',
      signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
    })
    await response.body?.cancel()
    return response.ok ? { ok: true } : { ok: false, error: `HTTP ${response.status}` }
  } catch (error) {
    const name = error instanceof Error ? error.name : 'Error'
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause : undefined
    const code = (cause as { code?: string } | undefined)?.code
    return { ok: false, error: `${name}${code === undefined ? '' : ` ${code}`}` }
  }
}
