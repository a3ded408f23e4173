import fs from 'node:fs'
import path from 'node:path'
import { newId } from '../../lib/ids.js'

/**
 * Where a verification code goes: the subject's e-mail from the vault, or the shop's own channel. It
 * names the request, never the subject: a message beside a pseudonym would link the two.
 */
export interface VerificationMessage {
  requestId: string
  email: string | undefined
  code: string
  expiresAt: string
  /** When it was sent (the service's clock). */
  sentAt: string
  /** Grows with each resend within the hour: orders two codes of one request sent in the same instant. */
  sequence: number
}

/**
 * Any other message for the outbox (an offer e-mail, say). `key` prefixes its file name, so that the
 * sender can find (export, discard) a subject's messages again without naming the subject in clear: it
 * must be a keyed pseudonym, never a subject id or an address. It is dropped at `expiresAt` if nobody
 * picked it up.
 */
export interface OutboxMessage {
  key: string
  kind: string
  sentAt: string
  expiresAt: string
  to: string
  subject: string
  text: string
  headers: Record<string, string>
}

/** What an access export says about messages still waiting: no code, no address. */
export interface PendingMessage {
  requestId: string
  sentAt: string
  expiresAt: string
}

/** Newest first: by the time sent, then by sequence. Only the newest code of a request works. */
export function newestFirst(a: VerificationMessage, b: VerificationMessage): number {
  return b.sentAt.localeCompare(a.sentAt) || b.sequence - a.sequence
}

/**
 * The edge to e-mail delivery. Swap in a real sender in production; never log the code. Whatever keeps
 * messages must drop them when asked: a message holds an address and a code, and nothing may outlive
 * the request's need for it or the subject's erasure.
 */
export interface Notifier {
  sendVerificationCode(message: VerificationMessage): Promise<void>
  /** Keeps any other message for delivery, under its `key` (see `OutboxMessage`). */
  sendMessage(message: OutboxMessage): Promise<void>
  /**
   * Drops every message still kept for these requests (code used, request closed, subject erased), or
   * for these `OutboxMessage` keys.
   */
  discard(requestIds: readonly string[]): Promise<number>
  /** Drops every message whose code has expired by `now`. */
  discardExpired(now: Date): Promise<number>
  /** The messages still kept for these requests, without their content. */
  pending(requestIds: readonly string[]): Promise<PendingMessage[]>
}

/** Old files (before expiry went into the name) without a readable expiry live this long from writing. */
const FALLBACK_TTL_MS = 10 * 60_000

/**
 * The default notifier: one JSON file per message in an outbox folder (owner-readable only), for a
 * mail relay or the shop's backend to pick up (and delete: that is delivery). It is the only place a
 * code is ever written in clear. A file is named `<request id>.<expiry in ms>.<random>.json`, so that
 * expired ones are found without reading them; it is deleted when its code expires, when the request
 * is verified or closed, and when the subject is erased.
 */
export function createOutboxNotifier(dir: string): Notifier & {
  read(requestId: string): VerificationMessage[]
  latest(requestId: string): VerificationMessage | undefined
} {
  const names = (): string[] => {
    try {
      return fs.readdirSync(dir).filter((name) => name.endsWith('.json'))
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw error
    }
  }
  const ofRequests = (requestIds: readonly string[]): string[] => {
    const prefixes = requestIds.map((id) => `${id}.`)
    return names().filter((name) => prefixes.some((prefix) => name.startsWith(prefix)))
  }
  const load = (name: string): VerificationMessage | undefined => {
    try {
      return JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')) as VerificationMessage
    } catch {
      return undefined // deleted meanwhile, or not ours
    }
  }
  const remove = (names: string[]): number => {
    let removed = 0
    for (const name of names) {
      try {
        fs.unlinkSync(path.join(dir, name))
        removed += 1
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
      }
    }
    return removed
  }
  /** When a file's code expires: from its name, else its content, else its age. */
  const expiryOf = (name: string): number => {
    const fromName = /^[^.]+\.(\d{10,})\.[^.]+\.json$/.exec(name)?.[1]
    if (fromName !== undefined) return Number(fromName)
    const fromContent = Date.parse(load(name)?.expiresAt ?? '')
    if (!Number.isNaN(fromContent)) return fromContent
    try {
      return fs.statSync(path.join(dir, name)).mtimeMs + FALLBACK_TTL_MS
    } catch {
      return 0
    }
  }
  const read = (requestId: string): VerificationMessage[] =>
    ofRequests([requestId])
      .map(load)
      .filter((m): m is VerificationMessage => m !== undefined)
      .sort(newestFirst)
  const discardExpired = (now: Date): number =>
    remove(names().filter((name) => expiryOf(name) <= now.getTime()))
  const write = (prefix: string, sentAt: string, expiresAt: string, content: object): void => {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 })
    // Each send also clears what has expired, so the folder never grows past the messages in use.
    discardExpired(new Date(sentAt))
    const file = path.join(dir, `${prefix}.${Date.parse(expiresAt)}.${newId('msg', 8)}.json`)
    fs.writeFileSync(file, JSON.stringify(content, null, 2), { mode: 0o600 })
  }
  return {
    async sendVerificationCode(message) {
      write(message.requestId, message.sentAt, message.expiresAt, {
        kind: 'rights_verification_code',
        ...message,
      })
    },
    async sendMessage(message) {
      if (!/^[A-Za-z0-9_-]{8,}$/.test(message.key)) throw new Error('outbox: malformed message key')
      write(message.key, message.sentAt, message.expiresAt, message)
    },
    async discard(requestIds) {
      return requestIds.length === 0 ? 0 : remove(ofRequests(requestIds))
    },
    async discardExpired(now) {
      return discardExpired(now)
    },
    async pending(requestIds) {
      if (requestIds.length === 0) return []
      // Named by the file's prefix: a request id, or the key of any other message.
      return ofRequests(requestIds).flatMap((name) => {
        const m = load(name)
        if (m === undefined) return []
        const requestId = name.slice(0, name.indexOf('.'))
        return [{ requestId, sentAt: m.sentAt, expiresAt: m.expiresAt }]
      })
    },
    /** Every message kept for a request, newest first (file names are random, not ordered). */
    read,
    /** The message with the code that works now: the newest one sent. */
    latest(requestId) {
      return read(requestId)[0]
    },
  }
}
