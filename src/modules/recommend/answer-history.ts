/**
 * A shopper's stored events as the engine reads them (`History`), for the answer (`answer.ts`).
 */
import type { StoredEvent } from '../events/index.js'
import { type History, createHistory } from './engine/index.js'
import { type ModelState, TYPE_WEIGHT, eventTime } from './model.js'

/** What a recommendation reads of an event (a `StoredEvent` has it, so does the narrow history read). */
export type HistoryEvent = Pick<StoredEvent, 'item' | 'type' | 'occurredAt' | 'receivedAt'>

/** The history's events as the engine reads them: known items only, "not this" items left out. */
export function historyFrom(
  s: ModelState,
  events: readonly HistoryEvent[],
  hidden: ReadonlySet<string>,
): History {
  const items: number[] = []
  const times: number[] = []
  const weights: number[] = []
  const bought: number[] = []
  for (const e of events) {
    if (e.item === undefined || hidden.has(e.item)) continue
    const i = s.items.byId.get(e.item)
    if (i === undefined) continue
    items.push(i)
    times.push(eventTime(e))
    weights.push(TYPE_WEIGHT[e.type] ?? 0.25)
    // Only a purchase makes "You bought this before" true; a view or a basket is "looked at".
    bought.push(e.type === 'purchase' ? 1 : 0)
  }
  return createHistory(items, times, weights, bought)
}
