/**
 * A shopper's item events as scoring reads them (`History`): how much each event type says about
 * their taste, and which events make "You bought this before" true. The server (`answer.ts`) and the
 * browser SDK (the `on_device` level) both build histories with these.
 */
import { createHistory, type History } from './interactions.js'

/** How much each event type says about a shopper's taste (the event weight of `History.weights`). */
export const TYPE_WEIGHT: Readonly<Record<string, number>> = Object.freeze({
  purchase: 1,
  cart: 0.5,
  view: 0.25,
  feedback: 0,
  search: 0,
})

/** One item event, its item already a model index. */
export interface ItemEvent {
  readonly item: number
  readonly type: string
  /** When it happened (ms). */
  readonly time: number
}

/** The history of these events: weights by type (unknown types weigh as a view), purchases bought. */
export function historyOfEvents(events: readonly ItemEvent[]): History {
  return createHistory(
    events.map((e) => e.item),
    events.map((e) => e.time),
    events.map((e) => TYPE_WEIGHT[e.type] ?? 0.25),
    // Only a purchase makes "You bought this before" true; a view or a basket is "looked at".
    events.map((e) => (e.type === 'purchase' ? 1 : 0)),
  )
}
