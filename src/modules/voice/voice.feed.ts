/**
 * The live feed behind `GET /v1/voice/feed` (server-sent events): every entry taken and every alert
 * raised by this process, as they happen, to the staff who listen. An entry goes out without its
 * owner (neither the shop's reference nor the pseudonym); its text has passed the personal-data scan
 * before it was stored. In-process only: with several processes on one PostgreSQL database a listener
 * hears what the process it is connected to takes (see the README's voice section).
 */
import type { VoiceAlert } from './voice.alerts.js'
import type { VoiceEntry } from './voice.js'

/** What the feed carries of an entry: no owner, no expiry. */
export type FeedEntry = Pick<
  VoiceEntry,
  | 'id'
  | 'kind'
  | 'purpose'
  | 'item'
  | 'rating'
  | 'survey'
  | 'question'
  | 'answer'
  | 'text'
  | 'sentiment'
  | 'negative'
  | 'aspects'
  | 'createdAt'
>

export type FeedEvent = { type: 'entry'; entry: FeedEntry } | { type: 'alert'; alert: VoiceAlert }

export type FeedListener = (event: FeedEvent) => void

export type VoiceFeed = ReturnType<typeof createVoiceFeed>

/** The feed's entry for a stored entry: the same fields, less the expiry. */
export function feedEntryOf(entry: VoiceEntry): FeedEntry {
  const { expiresAt: _expiresAt, ...rest } = entry
  return rest
}

/** A set of listeners; a listener that throws is dropped, the others still hear the event. */
export function createVoiceFeed() {
  const listeners = new Set<FeedListener>()
  return {
    /** Adds a listener; the function returned removes it. */
    subscribe(listener: FeedListener): () => void {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    publish(event: FeedEvent): void {
      for (const listener of [...listeners]) {
        try {
          listener(event)
        } catch {
          listeners.delete(listener)
        }
      }
    },
    get listeners(): number {
      return listeners.size
    },
  }
}
