/**
 * The `on_device` level's store: the shopper's item history and their "not this" items, kept in this
 * browser's IndexedDB (through idb-keyval) and nowhere else. Nothing here is ever sent to Candor.
 */
import { clear, createStore, get, set, type UseStore } from 'idb-keyval'

/** One item event as the browser keeps it: the item, what happened, when (ms). */
export interface LocalEvent {
  item: string
  type: 'view' | 'cart' | 'purchase'
  t: number
}

export interface OnDeviceStore {
  record(event: LocalEvent): Promise<void>
  /** The kept events, oldest first. */
  events(): Promise<LocalEvent[]>
  /** "Not this": the item is never suggested again, and its events no longer count. */
  hide(item: string): Promise<void>
  hidden(): Promise<string[]>
  /**
   * Pairs of distinct items of the local history (each pair once, lower id first). Federated
   * contributions (`federated.ts`) encode new ones with local differential privacy; nothing here
   * sends them.
   */
  localPairs(): Promise<[string, string][]>
  /** `localPairs` not yet contributed: what a federated contribution is made from. */
  newPairs(): Promise<[string, string][]>
  /** Remembers that these pairs were contributed (never sent again from this browser). */
  markContributed(pairs: readonly (readonly [string, string])[]): Promise<void>
  /** Deletes everything this store holds (the level turned off, or "erase"). */
  clear(): Promise<void>
}

/** The IndexedDB database and object store names (the tests read them). */
export const ON_DEVICE_DB = 'candor-on-device'
const STORE = 'history'
/** The most events kept: older ones are dropped first. */
const MAX_EVENTS = 500
/** The most contributed pairs remembered (at the charter's few reports a day, years of them). */
const MAX_CONTRIBUTED = 2000

const pairKey = ([a, b]: readonly [string, string]) => `${a}\n${b}`

export function createOnDeviceStore(): OnDeviceStore {
  let db: UseStore | undefined
  const store = () => (db ??= createStore(ON_DEVICE_DB, STORE))
  const events = async () => (await get<LocalEvent[]>('events', store())) ?? []
  const hidden = async () => (await get<string[]>('hidden', store())) ?? []
  const contributed = async () => (await get<string[]>('contributed', store())) ?? []
  async function localPairs() {
    const skip = new Set(await hidden())
    const items = [...new Set((await events()).map((e) => e.item))]
      .filter((i) => !skip.has(i))
      .sort()
    const pairs: [string, string][] = []
    for (let a = 0; a < items.length; a++)
      for (let b = a + 1; b < items.length; b++) pairs.push([items[a]!, items[b]!])
    return pairs
  }
  return {
    async record(event) {
      const kept = await events()
      kept.push(event)
      await set('events', kept.slice(-MAX_EVENTS), store())
    },
    events,
    async hide(item) {
      const items = await hidden()
      if (!items.includes(item)) await set('hidden', [...items, item], store())
    },
    hidden,
    localPairs,
    async newPairs() {
      const sent = new Set(await contributed())
      return (await localPairs()).filter((pair) => !sent.has(pairKey(pair)))
    },
    async markContributed(pairs) {
      const kept = [...(await contributed()), ...pairs.map(pairKey)]
      await set('contributed', kept.slice(-MAX_CONTRIBUTED), store())
    },
    async clear() {
      await clear(store())
    },
  }
}
