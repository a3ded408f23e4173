/**
 * The voice panel's live feed: `GET /v1/voice/feed` (server-sent events) read with `fetch` and a
 * streaming reader, since the staff key goes in the Authorization header and `EventSource` cannot send
 * one. The stream is parsed by `eventsource-parser` (the parser the `eventsource` package is built on),
 * not by hand. The connection's state is shown in words; a dropped stream is opened again after a pause.
 */
import { EventSourceParserStream } from 'eventsource-parser/stream'
import { useEffect, useState } from 'preact/hooks'
import { formatDate } from '../api.js'
import { bearer } from '../client.js'

/** An entry as the feed sends it: its analysis and text (scanned for personal data), never its owner. */
export interface FeedEntry {
  id: string
  kind: 'review' | 'survey' | 'feedback'
  item: string | null
  rating: number | null
  question: string | null
  answer: string | null
  text: string | null
  sentiment: number
  negative: boolean
  aspects: string[]
  createdAt: string
}

/** A spike of negative entries, as posted to the webhook. */
export interface FeedAlert {
  id: string
  target: { kind: 'item'; item: string } | { kind: 'aspect'; aspect: string }
  hour: string
  count: number
  baseline: number
  raisedAt: string
}

export type FeedItem = { type: 'entry'; entry: FeedEntry } | { type: 'alert'; alert: FeedAlert }

export type FeedState = 'connecting' | 'live' | 'reconnecting' | 'refused'

/** The most items the feed keeps on screen (newest first). */
export const FEED_KEEP = 50
/** The pause before a dropped stream is opened again. */
export const RECONNECT_MS = 5000

/** Reads the stream until it ends; `ready` says the server subscribed this listener. */
async function readFeed(
  token: string,
  signal: AbortSignal,
  on: { ready: () => void; item: (item: FeedItem) => void },
): Promise<'ended' | 'refused'> {
  const response = await fetch('/v1/voice/feed', {
    headers: { accept: 'text/event-stream', ...bearer(token) },
    signal,
  })
  if (response.status === 401 || response.status === 403) return 'refused'
  if (!response.ok || response.body === null) return 'ended'
  const events = response.body
    .pipeThrough(new TextDecoderStream())
    .pipeThrough(new EventSourceParserStream())
    .getReader()
  for (;;) {
    const { done, value } = await events.read()
    if (done) return 'ended'
    if (value.event === 'ready') on.ready()
    else if (value.event === 'entry')
      on.item({ type: 'entry', entry: JSON.parse(value.data) as FeedEntry })
    else if (value.event === 'alert')
      on.item({ type: 'alert', alert: JSON.parse(value.data) as FeedAlert })
  }
}

/**
 * The live feed for `token`: its state and the items heard since the panel opened, newest first;
 * `onItem` is called for each (the panel reloads what an item changes).
 */
export function useVoiceFeed(token: string, onItem: (item: FeedItem) => void) {
  const [state, setState] = useState<FeedState>('connecting')
  const [items, setItems] = useState<FeedItem[]>([])
  useEffect(() => {
    const abort = new AbortController()
    let timer: ReturnType<typeof setTimeout> | undefined
    const connect = () => {
      setState((s) => (s === 'live' ? 'reconnecting' : s))
      void readFeed(token, abort.signal, {
        ready: () => setState('live'),
        item: (item) => {
          setItems((list) => [item, ...list].slice(0, FEED_KEEP))
          onItem(item)
        },
      })
        .catch(() => 'ended' as const)
        .then((end) => {
          if (abort.signal.aborted) return
          if (end === 'refused') return setState('refused')
          setState('reconnecting')
          timer = setTimeout(connect, RECONNECT_MS)
        })
    }
    connect()
    return () => {
      abort.abort()
      clearTimeout(timer)
    }
  }, [token])
  return { state, items }
}

const STATE_WORDS: Record<FeedState, string> = {
  connecting: 'Connecting to the live feed…',
  live: 'Live: new entries and alerts appear here as they arrive.',
  reconnecting: `The live feed dropped; connecting again every ${RECONNECT_MS / 1000} seconds…`,
  refused: 'This key may not listen to the live feed.',
}

const KIND_WORDS: Record<FeedEntry['kind'], string> = {
  review: 'Review',
  survey: 'Survey answer',
  feedback: 'Feedback',
}

const targetWords = (t: FeedAlert['target']) =>
  t.kind === 'item' ? `item ${t.item}` : `the ${t.aspect} aspect`

function EntryLine({ entry }: { entry: FeedEntry }) {
  const about = [
    entry.item === null ? null : `item ${entry.item}`,
    entry.rating === null ? null : `rated ${entry.rating} of 5`,
    entry.aspects.length === 0 ? null : `about ${entry.aspects.join(', ')}`,
  ].filter((s) => s !== null)
  const said = entry.text ?? entry.answer
  return (
    <>
      <strong>
        {KIND_WORDS[entry.kind]}
        {entry.negative ? ', negative' : ''}
      </strong>
      {about.length === 0 ? null : <> · {about.join(' · ')}</>}
      {said === null ? null : <q class="feed-text">{said}</q>}
      <span class="muted small"> {formatDate(entry.createdAt)}</span>
    </>
  )
}

/** The feed's state in words and its items, newest first. */
export function FeedList({ state, items }: { state: FeedState; items: FeedItem[] }) {
  return (
    <>
      <p role="status" data-testid="feed-state" data-state={state} class={`feed-state ${state}`}>
        {STATE_WORDS[state]}
      </p>
      {items.length === 0 ? (
        <p class="muted">Nothing new since the panel opened.</p>
      ) : (
        <ol
          class="voice-feed"
          data-testid="voice-feed"
          aria-label="Live feed, newest first"
          tabIndex={0}
        >
          {items.map((item) =>
            item.type === 'alert' ? (
              <li key={item.alert.id} class="feed-alert" data-kind="alert">
                <strong>Alert: negative spike on {targetWords(item.alert.target)}</strong> ·{' '}
                {item.alert.count} negative this hour (usually{' '}
                {Math.round(item.alert.baseline * 10) / 10} an hour)
                <span class="muted small"> {formatDate(item.alert.raisedAt)}</span>
              </li>
            ) : (
              <li
                key={item.entry.id}
                class={item.entry.negative ? 'feed-negative' : ''}
                data-kind="entry"
                data-negative={String(item.entry.negative)}
              >
                <EntryLine entry={item.entry} />
              </li>
            ),
          )}
        </ol>
      )}
    </>
  )
}
