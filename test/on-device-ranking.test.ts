/**
 * The `on_device` level ranks in the browser with the server's engine: for the same history and the
 * same model version, the SDK's ranking (`rankOnDevice` over the decoded serving model) equals the
 * server's `personal` ranking (the engine's `answerPersonal` and the server's `explain`), with the item
 * neighbours alone and where training chose EASE, new items in the shopper's categories included.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  answerPersonal,
  decodeServingModel,
  encodeServingModel,
  historyOfEvents,
  type ItemModel,
  toServingModel,
  trainItemModel,
  withItems,
  withScoring,
} from '../src/modules/recommend/engine/index.js'
import { withEaseParams } from '../src/modules/recommend/engine/item-model.js'
import { DAY, NOW, syntheticShop } from '../src/modules/recommend/engine/test-data.test-helper.js'
import { explain } from '../src/modules/recommend/explanations.js'
import type { Item } from '../src/modules/catalog/index.js'
import { rankOnDevice, readOnDeviceModel } from '../sdk/src/on-device.js'
import type { LocalEvent } from '../sdk/src/on-device-store.js'

/** Items with shoppers in the synthetic shop, then new ones nobody has had yet. */
const N_HELD = 60
const N_NEW = 4
const N_ITEMS = N_HELD + N_NEW
const ids = Array.from({ length: N_ITEMS }, (_, i) => `SKU-${String(i).padStart(3, '0')}`)
const catalog = new Map<string, Item>(
  ids.map((id, i) => [
    id,
    { id, title: `Item ${i}`, category: [`Cat ${i % 5}`], price: 1 + i, available: true } as Item,
  ]),
)
const shop = syntheticShop(7, 200, N_HELD)
// Grown as a catalog sync grows it: the new items have no shoppers, listed in the last days.
const model = withItems(trainItemModel(shop, { now: NOW, params: { neighbours: 12 } }), N_ITEMS)
/** The same statistics where training chose EASE: 40 modelled items, 70% of N from EASE. */
const easeModel = withScoring(withEaseParams(model, { easeItems: 40, easeLambda: 1 }), {
  ...model.scoring,
  personal: { ...model.scoring.personal, easeWeight: 0.7, popularityWeight: 0.2 },
})
const facts = {
  categoryOf: Int32Array.from(ids, (_, i) => i % 5),
  firstSeen: Float64Array.from(ids, (_, i) =>
    i >= N_HELD ? NOW - (i - N_HELD + 1) * DAY : NOW - 400 * DAY,
  ),
}
const byId = new Map(ids.map((id, i) => [id, i]))

const eventArb = fc.record({
  item: fc.integer({ min: 0, max: N_ITEMS - 1 }),
  type: fc.constantFrom<LocalEvent['type']>('view', 'cart', 'purchase'),
  daysAgo: fc.integer({ min: 0, max: 300 }),
})

/** The server's `personal` answer for these events: the engine, then the server's explanation. */
function serverRanking(m: ItemModel, events: LocalEvent[], hidden: string[], limit: number) {
  const kept = events.filter((e) => !hidden.includes(e.item))
  const history = historyOfEvents(
    kept.map((e) => ({ item: byId.get(e.item)!, type: e.type, time: e.t })),
  )
  const recs = answerPersonal(m, history, {
    now: NOW,
    limit,
    guards: {
      hiddenItems: Int32Array.from(hidden, (id) => byId.get(id)!),
      blocked: new Uint8Array(N_ITEMS),
      context: new Int32Array(0),
    },
    catalog: facts,
  })
  const source = { ids, catalog, excluded: new Uint8Array(N_ITEMS), within: undefined }
  return recs.map((rec) => explain(source, rec))
}

/** The browser's copy of `m`, every weight as the server holds it. */
function lossless(m: ItemModel, etag: string) {
  return readOnDeviceModel(
    encodeServingModel(toServingModel(m, ids, { precision: 'f32', catalog: facts })),
    etag,
  )
}

describe('on-device ranking', () => {
  for (const [name, m] of [
    ['item neighbours alone', model],
    ['EASE chosen by training', easeModel],
  ] as const) {
    it(`equals the server personal ranking for the same history and model version (${name}; f32, every weight)`, () => {
      const device = lossless(m, '"v1"')
      let eased = 0
      let fresh = 0
      fc.assert(
        fc.property(
          fc.array(eventArb, { minLength: 0, maxLength: 25 }),
          fc.array(fc.integer({ min: 0, max: N_ITEMS - 1 }), { maxLength: 3 }),
          (raw, hiddenIdx) => {
            const events = raw.map((e) => ({
              item: ids[e.item]!,
              type: e.type,
              t: NOW - e.daysAgo * DAY,
            }))
            const hidden = [...new Set(hiddenIdx.map((i) => ids[i]!))]
            const server = serverRanking(m, events, hidden, 10)
            const browser = rankOnDevice(device, events, {
              now: NOW,
              limit: 10,
              hidden,
              catalog: (id) => catalog.get(id),
            })
            expect(browser).toEqual(server)
            if (server.some((x) => x.explanation.kind === 'new_in_category')) fresh++
            const withoutEase = serverRanking(model, events, hidden, 10)
            if (JSON.stringify(withoutEase) !== JSON.stringify(server)) eased++
          },
        ),
        { numRuns: 60 },
      )
      // The property covered what it claims: new items took places, and EASE changed answers.
      expect(fresh).toBeGreaterThan(0)
      if (m === easeModel) expect(eased).toBeGreaterThan(10)
    })
  }

  for (const [name, m] of [
    ['item neighbours alone', model],
    ['EASE', easeModel],
  ] as const) {
    it(`ranks a compact model (u8, fewer neighbours) exactly as the server ranks that same version (${name})`, () => {
      const served = toServingModel(m, ids, { neighbours: 5, precision: 'u8', catalog: facts })
      const decoded = decodeServingModel(encodeServingModel(served))
      expect(decoded.model.neighbours).toEqual(served.model.neighbours)
      expect(decoded.model.ease).toEqual(served.model.ease)
      expect(decoded.model.cooccurrence).toEqual(served.model.cooccurrence)
      expect(decoded.catalog).toEqual(served.catalog)
      if (m === easeModel) {
        // At most 5 weights per modelled item, some of them below 0 (kept by size, not sign).
        const rows = decoded.model.ease!.rows!
        expect(decoded.model.ease!.items).toHaveLength(40)
        expect(rows.cols.length).toBeLessThanOrEqual(5 * 40)
        expect(rows.weights.some((w) => w < 0)).toBe(true)
      } else expect(decoded.model.ease).toBeUndefined()
      const compact = readOnDeviceModel(encodeServingModel(served), '"v2"')
      const events: LocalEvent[] = [
        { item: ids[3]!, type: 'purchase', t: NOW - 40 * DAY },
        { item: ids[8]!, type: 'view', t: NOW - 2 * DAY },
        { item: ids[3]!, type: 'purchase', t: NOW - 5 * DAY },
      ]
      const history = historyOfEvents(
        events.map((e) => ({ item: byId.get(e.item)!, type: e.type, time: e.t })),
      )
      const server = answerPersonal(served.model, history, {
        now: NOW,
        limit: 8,
        catalog: served.catalog,
      })
      const browser = rankOnDevice(compact, events, { now: NOW, limit: 8 })
      expect(browser.map((b) => b.id)).toEqual(server.map((r) => ids[r.item]))
      expect(browser.map((b) => b.explanation.kind)).toEqual(server.map((r) => r.reason))
      expect(browser.find((b) => b.id === ids[3])?.explanation.kind).toBe('buy_again')
      // A new item in the category of item 3 or 8 (Cat 3): the newest, listed a day ago... of Cat 3.
      expect(browser.at(-1)?.explanation.kind).toBe('new_in_category')
    })
  }

  it('leaves special-category items out of the served model, and never suggests them', () => {
    const excluded = new Uint8Array(N_ITEMS)
    excluded[0] = 1
    excluded[1] = 1
    const served = toServingModel(model, ids, { excluded })
    expect(served.items).not.toContain(ids[0])
    expect(served.items).toHaveLength(N_ITEMS - 2)
    const decoded = decodeServingModel(encodeServingModel(served))
    expect(decoded.items).toEqual(served.items)
    const browser = rankOnDevice(
      readOnDeviceModel(encodeServingModel(served), '"v3"'),
      [
        { item: ids[0]!, type: 'purchase', t: NOW - DAY },
        { item: ids[2]!, type: 'purchase', t: NOW - DAY },
      ],
      { now: NOW, limit: 20 },
    )
    expect(browser.map((b) => b.id)).not.toContain(ids[0])
    expect(browser.map((b) => b.id)).not.toContain(ids[1])
    expect(browser).toHaveLength(20)
  })

  it('honours "not this", the page catalog\'s unavailable items and the items to exclude', () => {
    const events: LocalEvent[] = [{ item: ids[4]!, type: 'purchase', t: NOW - DAY }]
    const first = rankOnDevice(lossless(model, '"v1"'), events, { now: NOW, limit: 5 })
    const [a, b, c] = first.map((x) => x.id)
    const again = rankOnDevice(lossless(model, '"v1"'), events, {
      now: NOW,
      limit: 5,
      hidden: [a!],
      exclude: [b!],
      catalog: (id) => (id === c ? { available: false } : catalog.get(id)),
    })
    const shown = again.map((x) => x.id)
    expect(shown).not.toContain(a)
    expect(shown).not.toContain(b)
    expect(shown).not.toContain(c)
    expect(shown).toHaveLength(5)
  })
})
