/**
 * The `on_device` level ranks in the browser with the server's engine: for the same history and the
 * same model version, the SDK's ranking (`rankOnDevice` over the decoded serving model) equals the
 * server's `personal` ranking (the engine's `recommendPersonal` and the server's `explain`).
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  decodeServingModel,
  encodeServingModel,
  historyOfEvents,
  recommendPersonal,
  toServingModel,
  trainItemModel,
} from '../src/modules/recommend/engine/index.js'
import { DAY, NOW, syntheticShop } from '../src/modules/recommend/engine/test-data.test-helper.js'
import { explain } from '../src/modules/recommend/explanations.js'
import type { Item } from '../src/modules/catalog/index.js'
import { rankOnDevice, readOnDeviceModel } from '../sdk/src/on-device.js'
import type { LocalEvent } from '../sdk/src/on-device-store.js'

const N_ITEMS = 60
const ids = Array.from({ length: N_ITEMS }, (_, i) => `SKU-${String(i).padStart(3, '0')}`)
const catalog = new Map<string, Item>(
  ids.map((id, i) => [
    id,
    { id, title: `Item ${i}`, category: [`Cat ${i % 5}`], price: 1 + i, available: true } as Item,
  ]),
)
const shop = syntheticShop(7, 200, N_ITEMS)
const model = trainItemModel(shop, { now: NOW, params: { neighbours: 12 } })
const byId = new Map(ids.map((id, i) => [id, i]))

const eventArb = fc.record({
  item: fc.integer({ min: 0, max: N_ITEMS - 1 }),
  type: fc.constantFrom<LocalEvent['type']>('view', 'cart', 'purchase'),
  daysAgo: fc.integer({ min: 0, max: 300 }),
})

/** The server's `personal` answer for these events: the engine, then the server's explanation. */
function serverRanking(events: LocalEvent[], hidden: string[], limit: number) {
  const kept = events.filter((e) => !hidden.includes(e.item))
  const history = historyOfEvents(
    kept.map((e) => ({ item: byId.get(e.item)!, type: e.type, time: e.t })),
  )
  const recs = recommendPersonal(model, history, {
    now: NOW,
    limit,
    guards: {
      hiddenItems: Int32Array.from(hidden, (id) => byId.get(id)!),
      blocked: new Uint8Array(N_ITEMS),
      context: new Int32Array(0),
    },
  })
  const source = { ids, catalog, excluded: new Uint8Array(N_ITEMS), within: undefined }
  return recs.map((rec) => explain(source, rec))
}

describe('on-device ranking', () => {
  const lossless = readOnDeviceModel(
    encodeServingModel(toServingModel(model, ids, { precision: 'f32' })),
    '"v1"',
  )

  it('equals the server personal ranking for the same history and model version (f32, every neighbour)', () => {
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
          const server = serverRanking(events, hidden, 10)
          const browser = rankOnDevice(lossless, events, {
            now: NOW,
            limit: 10,
            hidden,
            catalog: (id) => catalog.get(id),
          })
          expect(browser).toEqual(server)
        },
      ),
      { numRuns: 60 },
    )
  })

  it('ranks a compact model (u8, fewer neighbours) exactly as the server ranks that same version', () => {
    const served = toServingModel(model, ids, { neighbours: 5, precision: 'u8' })
    const decoded = decodeServingModel(encodeServingModel(served))
    expect(decoded.model.neighbours).toEqual(served.model.neighbours)
    const compact = readOnDeviceModel(encodeServingModel(served), '"v2"')
    const events: LocalEvent[] = [
      { item: ids[3]!, type: 'purchase', t: NOW - 40 * DAY },
      { item: ids[8]!, type: 'view', t: NOW - 2 * DAY },
      { item: ids[3]!, type: 'purchase', t: NOW - 5 * DAY },
    ]
    const history = historyOfEvents(
      events.map((e) => ({ item: byId.get(e.item)!, type: e.type, time: e.t })),
    )
    const server = recommendPersonal(served.model, history, { now: NOW, limit: 8 })
    const browser = rankOnDevice(compact, events, { now: NOW, limit: 8 })
    expect(browser.map((b) => b.id)).toEqual(server.map((r) => ids[r.item]))
    expect(browser.map((b) => b.explanation.kind)).toEqual(server.map((r) => r.reason))
    expect(browser.find((b) => b.id === ids[3])?.explanation.kind).toBe('buy_again')
  })

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
    const first = rankOnDevice(lossless, events, { now: NOW, limit: 5 })
    const [a, b, c] = first.map((x) => x.id)
    const again = rankOnDevice(lossless, events, {
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
