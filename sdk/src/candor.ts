/**
 * Candor's browser SDK. Nothing is sent and nothing is written to browser storage until the shopper has
 * decided about consent, and then only what their decisions allow. Its requests go through openapi-fetch
 * typed by Candor's OpenAPI document (`api-types.ts`); the library is bundled into `candor.min.js`, so a
 * shop loads one file with no dependencies of its own.
 *
 * @example
 * const candor = createCandor({ endpoint: '', subject: 'customer-42', token })
 * candor.setConsent(await candor.loadConsent())   // or from the shop's own banner
 * candor.track('view', { item: '85123A', placement: 'product_page' })
 * candor.renderRow(el, await candor.recommendations({ placement: 'home' }))
 */
import { type RowOptions, renderRow } from './row.js'
import { createOnDeviceLevel } from './on-device-level.js'
import type { CatalogEntry } from './on-device.js'
import createClient from 'openapi-fetch'
import type { paths } from './api-types.js'
import type {
  ConsentState,
  EventFields,
  EventType,
  RecommendationAnswer,
  RecommendationQuery,
  PersonalizationLevel,
  RecommendationResponse,
  RecommendedItem,
  TrackedEvent,
} from './types.js'

export type * from './types.js'
export { renderRow, describeEvidence, type RowOptions } from './row.js'
export { rowHeadingFor } from './row-heading.js'
export { ON_DEVICE_DB } from './on-device-store.js'
export { showSurvey, type SurveyContext, type SurveyOptions, type SurveyReason } from './survey.js'
export type { CatalogEntry } from './on-device.js'

/** The purposes under which the SDK may send events at all. */
export const TRACKING_PURPOSES = [
  'personalize.session',
  'personalize.recommendations',
  'analytics.reporting',
]
/** Purposes that need the shopper's history, so events carry the subject rather than a session id. */
const SUBJECT_PURPOSES = ['personalize.recommendations', 'analytics.reporting']
const SESSION_KEY = 'candor.session'
/** Items picked from a row this visit, with the answer they came from (sessionStorage). */
const PICKED_KEY = 'candor.picked'
const MAX_PICKED = 20
/** Event types that say what became of a pick; they cite its answer. */
const CITING_TYPES = ['view', 'cart', 'purchase']
/** The most events held in memory while waiting for a decision or a network: older ones are dropped. */
const MAX_QUEUE = 200

export interface CandorOptions {
  /** Candor's base URL; '' for the same origin. */
  endpoint?: string
  /** The shop's customer reference for a signed-in shopper (or the shop's first-party visitor id). */
  subject: string
  /** A shopper token for `subject`, issued by the shop's backend (`POST /v1/shopper-tokens`). */
  token?: string
  /** Called for a fresh token when Candor answers 401 (tokens are short-lived). */
  refreshToken?: () => Promise<string>
  /** Events per batch (default 20): a full batch is sent at once. */
  batchSize?: number
  /** A partial batch is sent after this long (default 5000 ms). */
  flushIntervalMs?: number
  /** Where the privacy center lives (default '/privacy'). */
  privacyCenterUrl?: string
  /** For tests: the fetch to use. */
  fetch?: typeof fetch
  /** The page's catalog: titles for on-device explanations; `available: false` is never suggested. */
  catalog?: (id: string) => CatalogEntry | undefined
}

export type ConsentAllowed = Record<string, boolean>

export interface Candor {
  /** The browser's Global Privacy Control signal (`navigator.globalPrivacyControl`). */
  readonly gpc: boolean
  /** Whether the SDK may send events now (undefined: the shopper has not decided yet). */
  trackingAllowed(): boolean | undefined
  /** Events waiting in memory. */
  pending(): number
  setToken(token: string): void
  /**
   * The shopper's decisions, per purpose. Until this is called nothing is sent; with no tracking purpose
   * allowed, queued events are discarded and later ones are never queued.
   */
  setConsent(allowed: ConsentAllowed): void
  /** Reads the decisions on record; `decided` is false when the shopper has never chosen. */
  loadConsent(): Promise<{ allowed: ConsentAllowed; decided: boolean; state: ConsentState }>
  /** Records the shopper's choices (from a banner or prompt) and applies them. */
  decide(
    decisions: Record<string, 'granted' | 'denied'>,
    noticeVersion: string,
    method?: 'banner' | 'privacy_center' | 'progressive_prompt',
  ): Promise<ConsentAllowed>
  track(type: EventType, fields?: EventFields): void
  flush(options?: { unloading?: boolean }): Promise<void>
  /**
   * Explained recommendations. `item`: the product on the page (context); `category`: the category on the
   * page; `exclude`: items not to show (the basket, say).
   */
  recommendations(params: {
    placement?: RecommendationQuery['placement']
    limit?: number
    item?: string
    category?: string
    exclude?: readonly string[]
  }): Promise<RecommendationAnswer>
  renderRow(container: Element, response: RecommendationResponse, options?: RowOptions): HTMLElement
  feedback(
    item: RecommendedItem | string,
    kind: 'not_interested' | 'too_personal',
    recommId?: string,
  ): Promise<void>
  /**
   * Records the level and follows it here: at `on_device` item events are kept in this browser and
   * never sent, suggestions are ranked here, "not this" is kept here; leaving it clears the store.
   */
  setLevel(level: PersonalizationLevel): Promise<unknown>
  /** Reads the level in effect from Candor and follows it (see `setLevel`). */
  loadLevel(): Promise<PersonalizationLevel>
  /** Clears what this browser keeps for the `on_device` level ("erase"). */
  eraseOnDevice(): Promise<void>
  /** Pairs of the on-device history's items (the hook federated contributions start from). */
  localPairs(): Promise<[string, string][]>
  openPrivacyCenter(): void
  destroy(): void
}

function randomId(prefix: string): string {
  const bytes = new Uint8Array(12)
  crypto.getRandomValues(bytes)
  return prefix + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}

function readGpc(): boolean {
  return (
    typeof navigator !== 'undefined' &&
    (navigator as { globalPrivacyControl?: boolean }).globalPrivacyControl === true
  )
}

/** An error answer from Candor, with the problem's stable `code`. */
export class CandorError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
    this.name = 'CandorError'
  }
}

export function createCandor(options: CandorOptions): Candor {
  const endpoint = (options.endpoint ?? '').replace(/\/$/, '')
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis)
  const batchSize = options.batchSize ?? 20
  const interval = options.flushIntervalMs ?? 5000
  const gpc = readGpc()
  let token = options.token
  let allowed: ConsentAllowed | undefined
  let queue: TrackedEvent[] = []
  let timer: ReturnType<typeof setTimeout> | undefined
  let session: string | undefined
  const onDevice = createOnDeviceLevel({
    catalog: options.catalog,
    fetch: doFetch,
    endpoint,
    url: `${endpoint}/v1/models/current`,
    token: () => token,
    ...(options.refreshToken === undefined
      ? {}
      : { refresh: async () => void (token = await options.refreshToken!()) }),
  })

  const mayTrack = (): boolean | undefined =>
    allowed === undefined ? undefined : TRACKING_PURPOSES.some((p) => allowed?.[p] === true)

  // The typed client generated from Candor's OpenAPI document: every path, parameter and body below is
  // checked against it, so the SDK cannot drift from the routes it calls.
  const client = createClient<paths>({
    baseUrl: endpoint,
    fetch: (request) => doFetch(request),
    credentials: 'omit',
  })

  /**
   * One request with the shopper's token, tried again once with a fresh token after a 401. An error
   * answer becomes a `CandorError` with the problem's code.
   */
  async function send<T>(
    run: (init: {
      headers: Record<string, string>
      keepalive: boolean
    }) => Promise<{ data?: T; error?: unknown; response: Response }>,
    keepalive = false,
  ): Promise<T> {
    // Sec-GPC itself is a header only the browser may set (fetch drops it); a browser with GPC on sends
    // it on every request, so Candor sees the signal without the SDK's help.
    const init = () => ({
      headers: {
        accept: 'application/json',
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      },
      keepalive,
    })
    let result = await run(init())
    if (result.response.status === 401 && options.refreshToken !== undefined && !keepalive) {
      token = await options.refreshToken()
      result = await run(init())
    }
    const { response } = result
    if (!response.ok) {
      const problem = (result.error ?? {}) as { code?: string; detail?: string; title?: string }
      throw new CandorError(
        response.status,
        problem.code ?? 'http_error',
        problem.detail ?? problem.title ?? `HTTP ${response.status}`,
      )
    }
    return result.data as T
  }

  const ref = { ref: options.subject }

  function schedule() {
    if (timer !== undefined || queue.length === 0 || mayTrack() !== true) return
    timer = setTimeout(() => {
      timer = undefined
      void api.flush().catch(() => undefined)
    }, interval)
  }

  /**
   * Whose events these are. With a shopper token, always the subject: the token acts only as its subject
   * (Candor refuses a session id from it), and Candor itself keeps a session-only subject's events for the
   * visit alone (`retentionDays: 0`). Without a token, the subject when a history purpose is allowed.
   */
  function owner(): Pick<TrackedEvent, 'subject' | 'session'> {
    if (token !== undefined || SUBJECT_PURPOSES.some((p) => allowed?.[p] === true))
      return { subject: options.subject }
    // Session-only: a random id for this visit, kept in sessionStorage (gone when the tab closes).
    if (session === undefined) {
      try {
        session = sessionStorage.getItem(SESSION_KEY) ?? undefined
      } catch {
        session = undefined
      }
      if (session === undefined) {
        session = randomId('vis_')
        try {
          sessionStorage.setItem(SESSION_KEY, session)
        } catch {
          // Storage blocked: the id lives for this page only.
        }
      }
    }
    return { session }
  }

  /**
   * Item -> the answer (`recommId`) it was picked from, this visit: a later view, cart or purchase of the
   * item cites it, so the shop can see what its recommendations led to. Kept only while tracking is
   * allowed, in sessionStorage (gone when the tab closes).
   */
  function readPicked(): Record<string, string> {
    try {
      return JSON.parse(sessionStorage.getItem(PICKED_KEY) ?? '{}') as Record<string, string>
    } catch {
      return {}
    }
  }
  function writePicked(picked: Record<string, string> | undefined): void {
    try {
      if (picked === undefined) sessionStorage.removeItem(PICKED_KEY)
      else sessionStorage.setItem(PICKED_KEY, JSON.stringify(picked))
    } catch {
      // Storage blocked: picks are not cited.
    }
  }

  const onHide = () => {
    if (document.visibilityState === 'hidden')
      void api.flush({ unloading: true }).catch(() => undefined)
  }
  const onPageHide = () => void api.flush({ unloading: true }).catch(() => undefined)
  if (typeof window !== 'undefined') {
    window.addEventListener('pagehide', onPageHide)
    document.addEventListener('visibilitychange', onHide)
  }

  const api: Candor = {
    gpc,
    trackingAllowed: mayTrack,
    pending: () => queue.length,
    setToken(next) {
      token = next
    },

    setConsent(next) {
      allowed = { ...next }
      onDevice.consent(allowed)
      if (gpc) {
        // GPC opts out of sale, sharing and cross-context advertising whatever a page passes in.
        for (const key of Object.keys(allowed))
          if (key.startsWith('marketing.advertising.third_party')) allowed[key] = false
      }
      if (mayTrack() === true) {
        const who = owner()
        queue = queue.map((event) => ({ ...event, ...who }))
        if (queue.length > 0) void api.flush().catch(() => undefined)
      } else {
        queue = []
        if (timer !== undefined) clearTimeout(timer)
        timer = undefined
        writePicked(undefined)
      }
    },

    async loadConsent() {
      const state: ConsentState = await send((init) =>
        client.GET('/v1/subjects/{ref}/consents', { ...init, params: { path: ref } }),
      )
      const result: ConsentAllowed = {}
      for (const decision of state.decisions) result[decision.purpose] = decision.allowed
      const decided = state.history.some((record) => record.method !== 'gpc')
      return { allowed: result, decided, state }
    },

    async decide(decisions, noticeVersion, method = 'banner') {
      const result: ConsentAllowed = {}
      for (const [purpose, decision] of Object.entries(decisions)) {
        const answer = await send((init) =>
          client.PUT('/v1/subjects/{ref}/consents/{purpose}', {
            ...init,
            params: { path: { ...ref, purpose } },
            body: { decision, method, noticeVersion },
          }),
        )
        result[purpose] = answer.decision.allowed
      }
      api.setConsent({ ...allowed, ...result })
      return result
    },

    track(type, fields = {}) {
      // At `on_device` the event stays in this browser, whatever consent allows the server.
      if (onDevice.active()) {
        const t = fields.timestamp === undefined ? Date.now() : Date.parse(fields.timestamp)
        void onDevice.track(type, fields.item, t).catch(() => undefined)
        return
      }
      if (mayTrack() === false) return
      const base = mayTrack() === true ? owner() : {}
      const pickedFrom =
        fields.recommId === undefined && fields.item !== undefined && CITING_TYPES.includes(type)
          ? readPicked()[fields.item]
          : undefined
      const event: TrackedEvent = {
        ...(pickedFrom === undefined ? {} : { recommId: pickedFrom }),
        ...fields,
        ...base,
        id: randomId('e_'),
        type,
        timestamp: fields.timestamp ?? new Date().toISOString(),
      }
      queue.push(event)
      if (queue.length > MAX_QUEUE) queue.splice(0, queue.length - MAX_QUEUE)
      if (mayTrack() !== true) return
      if (queue.length >= batchSize) void api.flush().catch(() => undefined)
      else schedule()
    },

    async flush({ unloading = false } = {}) {
      if (timer !== undefined) clearTimeout(timer)
      timer = undefined
      if (mayTrack() !== true || queue.length === 0) return
      const batch = queue.splice(0, batchSize)
      try {
        await send(
          (init) => client.POST('/v1/events', { ...init, body: { events: batch } }),
          unloading,
        )
      } catch (error) {
        // A network error or a server fault: keep the events for the next try. A refusal (4xx) is final.
        const retry = !(error instanceof CandorError) || error.status >= 500 || error.status === 429
        if (retry) queue.unshift(...batch)
        throw error
      } finally {
        schedule()
      }
      if (queue.length >= batchSize) await api.flush({ unloading })
    },

    async recommendations(params) {
      // Ranked here, sent nowhere: the answer has Candor's shape (its `recommId` is `on_device`).
      if (onDevice.active())
        return (await onDevice.recommendations(params)) as unknown as RecommendationAnswer
      // Asked for the owner of the events sent (Candor takes one of subject and session, not both).
      const query: RecommendationQuery = {
        ...(mayTrack() === true && session !== undefined && owner().session !== undefined
          ? { session }
          : { subject: options.subject }),
        ...(params.placement === undefined ? {} : { placement: params.placement }),
        ...(params.limit === undefined ? {} : { limit: params.limit }),
        ...(params.item === undefined ? {} : { item: params.item }),
        ...(params.category === undefined ? {} : { category: params.category }),
        ...(params.exclude === undefined || params.exclude.length === 0
          ? {}
          : { exclude: params.exclude.join(',') }),
      }
      return send((init) => client.GET('/v1/recommendations', { ...init, params: { query } }))
    },

    renderRow(container, response, rowOptions = {}) {
      return renderRow(container, response, {
        whyLink: (why) => `${endpoint}${why}`,
        ...rowOptions,
        onNotThis: async (item, answer) => {
          await api.feedback(item, 'not_interested', answer.recommId).catch(() => undefined)
          await rowOptions.onNotThis?.(item, answer)
        },
        onStopPersonalizing: async () => {
          await api.setLevel('off')
          await rowOptions.onStopPersonalizing?.()
        },
        onPick: (item, answer) => {
          if (mayTrack() === true) {
            const picked = readPicked()
            delete picked[item.id]
            picked[item.id] = answer.recommId
            const keys = Object.keys(picked)
            for (const old of keys.slice(0, Math.max(0, keys.length - MAX_PICKED)))
              delete picked[old]
            writePicked(picked)
          }
          rowOptions.onPick?.(item, answer)
        },
      })
    },

    async feedback(item, kind, recommId) {
      const id = typeof item === 'string' ? item : item.id
      if (onDevice.active()) return onDevice.hide(id)
      await send((init) =>
        client.POST('/v1/feedback', {
          ...init,
          body: {
            subject: options.subject,
            item: id,
            kind,
            ...(recommId === undefined ? {} : { recommId }),
          },
        }),
      )
    },

    async setLevel(level) {
      const settings = await send((init) =>
        client.PUT('/v1/subjects/{ref}/settings', {
          ...init,
          params: { path: ref },
          body: { level },
        }),
      )
      await onDevice.apply(settings.effectiveLevel)
      return settings
    },

    async loadLevel() {
      const settings = await send((init) =>
        client.GET('/v1/subjects/{ref}/settings', { ...init, params: { path: ref } }),
      )
      await onDevice.apply(settings.effectiveLevel)
      return settings.effectiveLevel
    },

    eraseOnDevice: () => onDevice.erase(),
    localPairs: () => onDevice.store.localPairs(),

    openPrivacyCenter() {
      window.location.assign(options.privacyCenterUrl ?? '/privacy')
    },

    destroy() {
      if (timer !== undefined) clearTimeout(timer)
      timer = undefined
      if (typeof window !== 'undefined') {
        window.removeEventListener('pagehide', onPageHide)
        document.removeEventListener('visibilitychange', onHide)
      }
    },
  }
  return api
}
