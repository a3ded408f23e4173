import { describe, expect, it } from 'vitest'
import { buildInteractions, createHistory, historyOf, type Interactions } from './interactions.js'
import { removeSubject, trainItemModel } from './item-model.js'
import { DEFAULT_ENGINE_PARAMS } from './params.js'
import { scorePersonal } from './scoring.js'
import { serializeItemModel } from './serialize.js'
import { DAY, fromRows, NOW, syntheticShop, withoutSubject } from './test-data.test-helper.js'
import { REPEAT_FREQ, TOP_POP, trainShop } from './tune.js'

const shop = syntheticShop(7, 400, 80)

/** `x` plus events at `from`..`from + days` in which every subject buys items 0 and 1 together. */
function withPlantedSignal(x: Interactions, from: number, days: number): Interactions {
  const subjects: number[] = []
  const items: number[] = []
  const times: number[] = []
  const weights: number[] = []
  for (let s = 0; s < x.nSubjects; s++) {
    for (let p = x.subjectPtr[s]!; p < x.subjectPtr[s + 1]!; p++) {
      subjects.push(s)
      items.push(x.items[p]!)
      times.push(x.times[p]!)
      weights.push(x.weights[p]!)
    }
    for (const item of [0, 1]) {
      subjects.push(s)
      items.push(item)
      times.push(from + ((s % days) + 0.5) * DAY)
      weights.push(1)
    }
  }
  return buildInteractions(
    {
      subjects: Int32Array.from(subjects),
      items: Int32Array.from(items),
      times: Float64Array.from(times),
      weights: Float32Array.from(weights),
    },
    x.nSubjects,
    x.nItems,
  )
}

describe('trainShop', () => {
  const trained = trainShop(shop, { now: NOW })

  it('tunes on the held-out end of the training data and reports its figures', () => {
    const { report } = trained
    expect(report.tuned).toBe(true)
    expect(report.validation!.until).toBe(NOW)
    // The last 10% of a 200-day span is 20 days (at least 7).
    expect((report.validation!.until - report.validation!.from) / DAY).toBeGreaterThan(15)
    expect(report.validation!.shoppers).toBeGreaterThanOrEqual(20)
    expect(report.candidates).toBeGreaterThan(50)
    expect(trained.model.scoring).toEqual({
      personal: report.params.personal,
      session: report.params.session,
    })
    expect(trained.model.params).toEqual(report.params.item)
  })

  it('never does worse than TopPop and RepeatFreq on the held-out period, nor session than off', () => {
    const f = trained.report.figures!
    expect(f.personal.recall20).toBeGreaterThanOrEqual(f.topPop.recall20)
    expect(f.personal.recall20).toBeGreaterThanOrEqual(f.repeatFreq.recall20)
    expect(f.session.recall20).toBeGreaterThanOrEqual(f.off.recall20)
    expect(f.personal.recall20).toBeGreaterThan(0)
  })

  it('is at least TopPop and RepeatFreq on a shop where nobody has a taste', () => {
    // Every purchase drawn from one popularity curve, independent of the shopper.
    const rows: [string, string, number][] = []
    let seed = 3
    const rnd = (): number => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646
    for (let s = 0; s < 300; s++)
      for (let o = 0; o < 4; o++) {
        const days = Math.floor(rnd() * 120)
        rows.push([`u${s}`, `i${Math.floor(40 * Math.pow(rnd(), 3))}`, days])
      }
    const { interactions } = fromRows(rows)
    const { report } = trainShop(interactions, { now: NOW })
    const f = report.figures!
    expect(report.tuned).toBe(true)
    expect(f.personal.recall20).toBeGreaterThanOrEqual(
      Math.max(f.topPop.recall20, f.repeatFreq.recall20),
    )
  })

  it('never reads anything after now: a signal planted only there changes nothing', () => {
    const planted = withPlantedSignal(shop, NOW + DAY, 10)
    const again = trainShop(planted, { now: NOW })
    expect(again.report).toEqual(trained.report)
    expect(serializeItemModel(again.model)).toEqual(serializeItemModel(trained.model))
  })

  it('does read the held-out period: a signal planted there is what it tunes on', () => {
    const planted = withPlantedSignal(shop, NOW - 12 * DAY, 10)
    const { report } = trainShop(planted, { now: NOW })
    // Items 0 and 1 are bought by everyone in the held-out period: recall there is easy to get.
    expect(report.figures!.personal.recall20).toBeGreaterThan(
      trained.report.figures!.personal.recall20,
    )
  })

  it('keeps erasure equal to retraining without the subject, with the chosen parameters', () => {
    const { model, report } = trained
    for (const s of [0, 17, 211]) {
      const erased = removeSubject(model, historyOf(shop, s))
      const retrained = trainItemModel(withoutSubject(shop, s), {
        now: NOW,
        params: report.params.item,
        scoring: { personal: report.params.personal, session: report.params.session },
        // The EASE component's items are chosen with the parameters (kept until the next training).
        ...(model.ease === undefined ? {} : { easeItems: model.ease.items }),
      })
      expect(serializeItemModel(erased)).toEqual(serializeItemModel(retrained))
    }
  })

  it('falls back to the documented defaults, and says so, with too little data', () => {
    const tiny = fromRows([
      ['u1', 'a', 30],
      ['u1', 'b', 2],
      ['u2', 'a', 20],
      ['u2', 'c', 1],
    ])
    const { model, report } = trainShop(tiny.interactions, { now: NOW })
    expect(report.tuned).toBe(false)
    expect(report.note).toMatch(/too little to validate: \d+ shoppers .* at least 20/)
    expect(report.params).toEqual(DEFAULT_ENGINE_PARAMS)
    expect(model.params).toEqual(DEFAULT_ENGINE_PARAMS.item)
  })

  it('reports progress up to its total', () => {
    const seen: [number, number][] = []
    trainShop(syntheticShop(11, 200, 40), { now: NOW, onProgress: (d, t) => seen.push([d, t]) })
    expect(seen.length).toBeGreaterThan(10)
    const total = seen[0]![1]
    expect(seen.every(([d, t]) => t === total && d <= total)).toBe(true)
    expect(seen.at(-1)).toEqual([total, total])
    for (let k = 1; k < seen.length; k++)
      expect(seen[k]![0]).toBeGreaterThanOrEqual(seen[k - 1]![0])
  })

  it('trains with the given parameters when tuning is off', () => {
    const { report, model } = trainShop(shop, { now: NOW, tune: false })
    expect(report.tuned).toBe(false)
    expect(model.params).toEqual(DEFAULT_ENGINE_PARAMS.item)
  })
})

describe('the trivial answers are points of the personal space', () => {
  const model = trainItemModel(shop, { now: NOW })

  it('TOP_POP ranks every item by how many subjects had it', () => {
    const history = createHistory([3, 5, 5], [NOW - 3 * DAY, NOW - 2 * DAY, NOW - DAY])
    const { total } = scorePersonal(model, history, { now: NOW, params: TOP_POP })
    const byScore = Array.from(total.keys()).sort((a, b) => total[b]! - total[a]! || a - b)
    for (let k = 1; k < byScore.length; k++)
      expect(model.itemSubjects[byScore[k - 1]!]!).toBeGreaterThanOrEqual(
        model.itemSubjects[byScore[k]!]!,
      )
  })

  it("REPEAT_FREQ ranks the shopper's own items by their event counts, first", () => {
    const history = createHistory(
      [9, 9, 9, 4, 4, 7],
      [1, 2, 3, 4, 5, 6].map((d) => NOW - d * DAY),
    )
    const { total } = scorePersonal(model, history, { now: NOW, params: REPEAT_FREQ })
    const byScore = Array.from(total.keys()).sort((a, b) => total[b]! - total[a]! || a - b)
    expect(byScore.slice(0, 3)).toEqual([9, 4, 7])
  })
})
