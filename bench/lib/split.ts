/**
 * The fixed temporal split of BENCHMARKS.md section 1: train on events before the cutoff; test
 * customers have train history and buy on or after it; their test set is the distinct items bought
 * then that exist in train.
 */
import { createIdIndex, type IdIndex } from '../../src/modules/recommend/engine/ids.js'
import {
  buildInteractions,
  type Interactions,
} from '../../src/modules/recommend/engine/interactions.js'
import type { RawEvents } from './data.js'

export interface TestCase {
  subject: number
  /** Distinct test items (train indices), sorted. */
  items: Int32Array
  /** Events of this subject on the last day it was active before the cutoff (its "session"). */
  lastDayItems: Int32Array
}

export interface Split {
  items: IdIndex
  subjects: IdIndex
  train: Interactions
  cutoff: number
  tests: TestCase[]
  trainPairs: number
  trainEvents: number
}

/**
 * `end` (exclusive) limits the test period; a validation split uses it to stay clear of the test
 * period of the real cutoff.
 */
export function splitAt(raw: RawEvents, cutoff: number, end = Infinity): Split {
  const trainIdx: number[] = []
  for (let e = 0; e < raw.times.length; e++) if (raw.times[e]! < cutoff) trainIdx.push(e)
  const items = createIdIndex(trainIdx.map((e) => raw.items[e]!))
  const subjects = createIdIndex(trainIdx.map((e) => raw.customers[e]!))
  const train = buildInteractions(
    {
      subjects: Int32Array.from(trainIdx, (e) => subjects.byId.get(raw.customers[e]!)!),
      items: Int32Array.from(trainIdx, (e) => items.byId.get(raw.items[e]!)!),
      times: Float64Array.from(trainIdx, (e) => raw.times[e]!),
    },
    subjects.ids.length,
    items.ids.length,
  )
  let trainPairs = 0
  const seen = new Int32Array(items.ids.length).fill(-1)
  for (let s = 0; s < train.nSubjects; s++) {
    for (let p = train.subjectPtr[s]!; p < train.subjectPtr[s + 1]!; p++) {
      const i = train.items[p]!
      if (seen[i] !== s) {
        seen[i] = s
        trainPairs++
      }
    }
  }
  const testSets = new Map<number, Set<number>>()
  for (let e = 0; e < raw.times.length; e++) {
    if (raw.times[e]! < cutoff || raw.times[e]! >= end) continue
    const s = subjects.byId.get(raw.customers[e]!)
    const i = items.byId.get(raw.items[e]!)
    if (s === undefined || i === undefined) continue
    let set = testSets.get(s)
    if (!set) testSets.set(s, (set = new Set()))
    set.add(i)
  }
  const DAY = 86_400_000
  const tests: TestCase[] = []
  for (const [s, set] of [...testSets].sort((a, b) => a[0] - b[0])) {
    const lo = train.subjectPtr[s]!
    const hi = train.subjectPtr[s + 1]!
    const lastDay = Math.floor(train.times[hi - 1]! / DAY)
    const day: number[] = []
    for (let p = lo; p < hi; p++)
      if (Math.floor(train.times[p]! / DAY) === lastDay) day.push(train.items[p]!)
    tests.push({
      subject: s,
      items: Int32Array.from([...set].sort((a, b) => a - b)),
      lastDayItems: Int32Array.from(new Set(day)),
    })
  }
  return { items, subjects, train, cutoff, tests, trainPairs, trainEvents: train.items.length }
}
