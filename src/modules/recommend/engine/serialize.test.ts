import { describe, expect, it } from 'vitest'
import { historyOf } from './interactions.js'
import { removeSubject, trainItemModel, type ItemModel } from './item-model.js'
import { recommendPersonal } from './scoring.js'
import { deserializeItemModel, serializeItemModel } from './serialize.js'
import { NOW, syntheticShop } from './test-data.test-helper.js'

describe('item model serialization', () => {
  const shop = syntheticShop(21, 120, 50)
  const model = trainItemModel(shop, { now: NOW, params: { neighbours: 7 } })

  it('round-trips to an equal model that scores the same', () => {
    const bytes = serializeItemModel(model)
    const back = deserializeItemModel(bytes)
    expect(back).toEqual(model)
    const h = historyOf(shop, 3)
    expect(recommendPersonal(back, h, { now: NOW, limit: 10 })).toEqual(
      recommendPersonal(model, h, { now: NOW, limit: 10 }),
    )
  })

  it('reads from an unaligned buffer and still supports erasure', () => {
    const bytes = serializeItemModel(model)
    const shifted = new Uint8Array(bytes.length + 3)
    shifted.set(bytes, 3)
    const back = deserializeItemModel(shifted.subarray(3))
    expect(removeSubject(back, historyOf(shop, 9))).toEqual(
      removeSubject(model, historyOf(shop, 9)),
    )
  })

  it('round-trips the EASE component, which erasure still refits', () => {
    const withEase = trainItemModel(shop, { now: NOW, params: { easeItems: 20, easeLambda: 2 } })
    const back = deserializeItemModel(serializeItemModel(withEase))
    expect(back).toEqual(withEase)
    const h = historyOf(shop, 5)
    const params = { easeWeight: 0.5 }
    expect(recommendPersonal(back, h, { now: NOW, limit: 10, params })).toEqual(
      recommendPersonal(withEase, h, { now: NOW, limit: 10, params }),
    )
    expect(removeSubject(back, h)).toEqual(removeSubject(withEase, h))
  })

  it('reads a model written before EASE: the new parameters take their defaults', () => {
    const { easeItems: _items, easeLambda: _lambda, ...oldParams } = model.params
    const { easeWeight: _weight, ...oldPersonal } = model.scoring.personal
    const old = {
      ...model,
      params: oldParams,
      scoring: { ...model.scoring, personal: oldPersonal },
    } as unknown as ItemModel
    const back = deserializeItemModel(serializeItemModel(old))
    expect(back.params).toEqual(model.params)
    expect(back.scoring).toEqual(model.scoring)
  })

  it('keeps values that do not fit the narrow encodings', () => {
    const wide = {
      ...model,
      itemSubjects: model.itemSubjects.map((c) => c + 2 ** 33),
      recentSubjects: model.recentSubjects.map((c) => c + 0.5),
    }
    expect(deserializeItemModel(serializeItemModel(wide))).toEqual(wide)
    expect(serializeItemModel(wide).length).toBeGreaterThan(serializeItemModel(model).length)
  })

  it('rejects other bytes and truncated models', () => {
    expect(() => deserializeItemModel(new TextEncoder().encode('not a model at all'))).toThrow()
    const bytes = serializeItemModel(model)
    expect(() => deserializeItemModel(bytes.subarray(0, bytes.length - 16))).toThrow(/truncated/)
  })
})
