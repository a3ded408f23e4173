import fs from 'node:fs'
import path from 'node:path'
import { newId } from '../../lib/ids.js'

/** Where a verification code goes: the subject's e-mail from the vault, or the shop's own channel. */
export interface VerificationMessage {
  requestId: string
  subjectId: string
  email: string | undefined
  code: string
  expiresAt: string
  /** When it was sent (the service's clock). */
  sentAt: string
  /** Grows with each resend within the hour: orders two codes of one request sent in the same instant. */
  sequence: number
}

/** Newest first: by the time sent, then by sequence. Only the newest code of a request works. */
export function newestFirst(a: VerificationMessage, b: VerificationMessage): number {
  return b.sentAt.localeCompare(a.sentAt) || b.sequence - a.sequence
}

/** The edge to e-mail delivery. Swap in a real sender in production; never log the code. */
export interface Notifier {
  sendVerificationCode(message: VerificationMessage): Promise<void>
}

/**
 * The default notifier: one JSON file per message in an outbox folder (owner-readable only), for a
 * mail relay or the shop's backend to pick up. It is the only place a code is ever written in clear.
 */
export function createOutboxNotifier(dir: string): Notifier & {
  read(requestId: string): VerificationMessage[]
  latest(requestId: string): VerificationMessage | undefined
} {
  const read = (requestId: string): VerificationMessage[] => {
    if (!fs.existsSync(dir)) return []
    return fs
      .readdirSync(dir)
      .filter((name) => name.startsWith(`${requestId}.`))
      .map(
        (name) => JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')) as VerificationMessage,
      )
      .sort(newestFirst)
  }
  return {
    async sendVerificationCode(message) {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 })
      const file = path.join(dir, `${message.requestId}.${newId('msg', 8)}.json`)
      fs.writeFileSync(
        file,
        JSON.stringify({ kind: 'rights_verification_code', ...message }, null, 2),
        {
          mode: 0o600,
        },
      )
    },
    /** Every message sent for a request, newest first (file names are random, not ordered). */
    read,
    /** The message with the code that works now: the newest one sent. */
    latest(requestId) {
      return read(requestId)[0]
    },
  }
}
