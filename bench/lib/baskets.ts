/**
 * Baskets of the train period, for basket-aware references (TIFU-KNN). A basket is the rows that
 * share a basket id where the data has one, else the rows of one customer with the same timestamp
 * (on UCI Online Retail that is one invoice).
 */
import type { RawEvents } from './data.js'
import type { Split } from './split.js'

/** Baskets by subject in time order: subject s owns baskets `[ptr[s], ptr[s + 1])`. */
export interface Baskets {
  /** Length nSubjects + 1. */
  ptr: Int32Array
  /** Basket b holds items `[itemPtr[b], itemPtr[b + 1])`, distinct, ascending. */
  itemPtr: Int32Array
  items: Int32Array
  /** Time of each basket (its earliest row), ms. */
  times: Float64Array
}

/** The baskets of the rows of `raw` before `split.cutoff`, in `split`'s indices. */
export function buildBaskets(raw: RawEvents, split: Split): Baskets {
  const nSubjects = split.subjects.ids.length
  const keyOf = new Map<string, number>()
  const subjectOf: number[] = []
  const timeOf: number[] = []
  const itemsOf: Set<number>[] = []
  for (let e = 0; e < raw.times.length; e++) {
    const t = raw.times[e]!
    if (!(t < split.cutoff)) continue
    const s = split.subjects.byId.get(raw.customers[e]!)
    const i = split.items.byId.get(raw.items[e]!)
    if (s === undefined || i === undefined) continue
    const key = `${s}\u0000${raw.baskets !== undefined ? raw.baskets[e]! : t}`
    let b = keyOf.get(key)
    if (b === undefined) {
      b = subjectOf.length
      keyOf.set(key, b)
      subjectOf.push(s)
      timeOf.push(t)
      itemsOf.push(new Set())
    } else if (t < timeOf[b]!) timeOf[b] = t
    itemsOf[b]!.add(i)
  }
  const order = Array.from(subjectOf.keys()).sort(
    (a, b) => subjectOf[a]! - subjectOf[b]! || timeOf[a]! - timeOf[b]! || a - b,
  )
  const ptr = new Int32Array(nSubjects + 1)
  for (const s of subjectOf) ptr[s + 1]!++
  for (let s = 0; s < nSubjects; s++) ptr[s + 1]! += ptr[s]!
  const itemPtr = new Int32Array(order.length + 1)
  const items: number[] = []
  const times = new Float64Array(order.length)
  order.forEach((b, k) => {
    for (const i of [...itemsOf[b]!].sort((x, y) => x - y)) items.push(i)
    itemPtr[k + 1] = items.length
    times[k] = timeOf[b]!
  })
  return { ptr, itemPtr, items: Int32Array.from(items), times }
}
