/**
 * What the SDK does differently while the shopper's level is `on_device`: item events go to this
 * browser's store instead of Candor, "not this" is kept here, and suggestions are ranked here over the
 * serving model (`on-device.ts`). Leaving the level, or `erase()`, empties the store. With the
 * shopper's yes to the federated purpose too, new pairs of the history are contributed as noisy
 * reports (`federated.ts`) within the charter's epsilon per day.
 */
import {
  FEDERATED_PURPOSE,
  type FederatedTerms,
  contributePairs,
  fetchFederatedTerms,
} from './federated.js'
import {
  type CatalogEntry,
  type OnDeviceModel,
  onDeviceAnswer,
  rankOnDevice,
  readOnDeviceModel,
} from './on-device.js'
import { createOnDeviceStore, type LocalEvent } from './on-device-store.js'
import type { PersonalizationLevel, RecommendationResponse } from './types.js'

export interface OnDeviceDeps {
  fetch: typeof fetch
  /** Candor's base URL ('' for the same origin): where federated contributions go. */
  endpoint: string
  /** Where the serving model is (`GET /v1/models/current`). */
  url: string
  /** The shopper token, if any; `refresh` gets a fresh one after a 401. */
  token: () => string | undefined
  refresh?: () => Promise<void>
  catalog?: ((id: string) => CatalogEntry | undefined) | undefined
}

const ITEM_TYPES: readonly string[] = ['view', 'cart', 'purchase']
/**
 * Remembers in this browser that the level is `on_device` (a choice, no personal data), so that a new
 * page keeps its events here from its first event, before Candor has answered which level applies.
 */
const LEVEL_KEY = 'candor.on_device'

function remembered(): boolean {
  try {
    return localStorage.getItem(LEVEL_KEY) === '1'
  } catch {
    return false
  }
}

function remember(on: boolean): void {
  try {
    if (on) localStorage.setItem(LEVEL_KEY, '1')
    else localStorage.removeItem(LEVEL_KEY)
  } catch {
    // Storage blocked: the level is known again once Candor answers.
  }
}

/** The pairs in a random order (Fisher-Yates over Web Crypto words): which go first tells nothing. */
function shuffled<T>(items: T[]): T[] {
  const words = crypto.getRandomValues(new Uint32Array(items.length))
  for (let i = items.length - 1; i > 0; i--) {
    const j = words[i]! % (i + 1)
    ;[items[i], items[j]] = [items[j]!, items[i]!]
  }
  return items
}

export function createOnDeviceLevel(deps: OnDeviceDeps) {
  const store = createOnDeviceStore()
  let active = remembered()
  let model: OnDeviceModel | undefined
  let federated = false
  let terms: FederatedTerms | undefined
  let contributing = false

  /**
   * At `on_device` with the federated yes: the history's pairs not yet contributed, in a random
   * order, as many as today's budget allows (`contributePairs` keeps the ledger; the terms are
   * fetched once a page, so a spent day costs no request). One run at a time; errors wait for the
   * next try. Without the yes, or for a charter whose federated purpose is another, nothing is sent.
   */
  async function contribute(): Promise<void> {
    if (!active || !federated || contributing) return
    contributing = true
    try {
      const pending = await store.newPairs()
      if (pending.length === 0) return
      terms ??= await fetchFederatedTerms(deps.endpoint)
      if (terms?.purpose !== FEDERATED_PURPOSE) return
      const order = shuffled(pending)
      const sent = await contributePairs(deps.endpoint, order, undefined, new Date(), terms)
      if (sent > 0) await store.markContributed(order.slice(0, sent))
    } catch {
      // Offline, storage blocked or a refusal: the pairs stay new for a later try.
    } finally {
      contributing = false
    }
  }

  /** The model, revalidated by its ETag (304: the one held is current). */
  async function fetchModel(etag: string | undefined): Promise<Response> {
    const get = () => {
      const token = deps.token()
      return deps.fetch(deps.url, {
        credentials: 'omit',
        headers: {
          ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
          ...(etag === undefined ? {} : { 'if-none-match': etag }),
        },
      })
    }
    const response = await get()
    if (response.status !== 401 || deps.refresh === undefined) return response
    await deps.refresh()
    return get()
  }

  async function currentModel(): Promise<OnDeviceModel> {
    const response = await fetchModel(model?.etag)
    if (response.status === 304 && model !== undefined) return model
    if (!response.ok) throw new Error(`model: HTTP ${response.status}`)
    const bytes = new Uint8Array(await response.arrayBuffer())
    model = readOnDeviceModel(bytes, response.headers.get('etag') ?? '')
    return model
  }

  return {
    store,
    /** Whether the level in effect is `on_device` (then nothing of the shopper's is sent). */
    active: () => active,
    /** Follows the level in effect; leaving `on_device` clears the store. */
    async apply(level: PersonalizationLevel): Promise<void> {
      const was = active
      active = level === 'on_device'
      remember(active)
      if (was && !active) await store.clear()
      void contribute()
    },
    /** Follows the shopper's decisions: contributes only with their yes to the federated purpose. */
    consent(allowed: Readonly<Record<string, boolean>>): void {
      federated = allowed[FEDERATED_PURPOSE] === true
      void contribute()
    },
    /** An item event kept here (other event types say nothing the ranking reads: dropped). */
    async track(type: string, item: string | undefined, t: number): Promise<void> {
      if (item === undefined || !ITEM_TYPES.includes(type)) return
      await store.record({ item, type: type as LocalEvent['type'], t })
      void contribute()
    },
    async recommendations(params: {
      limit?: number
      item?: string
      exclude?: readonly string[]
    }): Promise<RecommendationResponse> {
      const [m, events, hidden] = await Promise.all([
        currentModel(),
        store.events(),
        store.hidden(),
      ])
      const exclude = [
        ...(params.exclude ?? []),
        ...(params.item === undefined ? [] : [params.item]),
      ]
      return onDeviceAnswer(
        rankOnDevice(m, events, {
          now: Date.now(),
          limit: params.limit ?? 10,
          hidden,
          exclude,
          ...(deps.catalog === undefined ? {} : { catalog: deps.catalog }),
        }),
      )
    },
    hide: (item: string) => store.hide(item),
    erase: () => store.clear(),
  }
}

export type OnDeviceLevel = ReturnType<typeof createOnDeviceLevel>
