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
}

/** The edge to e-mail delivery. Swap in a real sender in production; never log the code. */
export interface Notifier {
  sendVerificationCode(message: VerificationMessage): Promise<void>
}

/**
 * The default notifier: one JSON file per message in an outbox folder (owner-readable only), for a
 * mail relay or the shop's backend to pick up. It is the only place a code is ever written in clear.
 */
export function createOutboxNotifier(
  dir: string,
): Notifier & { read(requestId: string): VerificationMessage[] } {
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
    read(requestId) {
      if (!fs.existsSync(dir)) return []
      return fs
        .readdirSync(dir)
        .filter((name) => name.startsWith(`${requestId}.`))
        .map(
          (name) =>
            JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')) as VerificationMessage,
        )
    },
  }
}
