/**
 * Events as compressed sparse rows by subject: the events of subject `s` are
 * `[subjectPtr[s], subjectPtr[s + 1])`, ordered by time. Each event is one (item, time, weight)
 * observation; repeats are kept so that repeat-purchase models can count and decay them.
 */
export interface Interactions {
  readonly nSubjects: number
  readonly nItems: number
  /** Length `nSubjects + 1`. */
  readonly subjectPtr: Int32Array
  readonly items: Int32Array
  /** Event time in milliseconds since the epoch. */
  readonly times: Float64Array
  /** Event weight (1 for a plain event; a quantity or a type weight otherwise). */
  readonly weights: Float32Array
}

/** The events of one subject, as scoring takes them: parallel arrays ordered by time. */
export interface History {
  readonly items: Int32Array
  readonly times: Float64Array
  readonly weights?: Float32Array
  /**
   * 1 where the event is a purchase, 0 where the shopper only looked (a view, a basket): what makes
   * "You bought this before" true. Absent: every event is a purchase (training data, benchmarks).
   */
  readonly bought?: Uint8Array
}

/** Flat event columns, in any order. */
export interface EventColumns {
  readonly subjects: Int32Array
  readonly items: Int32Array
  readonly times: Float64Array
  readonly weights?: Float32Array
}

/**
 * Builds the CSR structure. Events of one subject are sorted by (time, item) so the result does not
 * depend on input order.
 */
export function buildInteractions(
  events: EventColumns,
  nSubjects: number,
  nItems: number,
): Interactions {
  const n = events.subjects.length
  if (events.items.length !== n || events.times.length !== n) {
    throw new RangeError('event columns differ in length')
  }
  if (events.weights !== undefined && events.weights.length !== n) {
    throw new RangeError('event weights differ in length')
  }
  const subjectPtr = new Int32Array(nSubjects + 1)
  for (let e = 0; e < n; e++) {
    const s = events.subjects[e]!
    const i = events.items[e]!
    if (s < 0 || s >= nSubjects) throw new RangeError(`subject index ${s} out of range`)
    if (i < 0 || i >= nItems) throw new RangeError(`item index ${i} out of range`)
    subjectPtr[s + 1]!++
  }
  for (let s = 0; s < nSubjects; s++) subjectPtr[s + 1]! += subjectPtr[s]!
  const fill = subjectPtr.slice(0, nSubjects)
  const order = new Int32Array(n)
  for (let e = 0; e < n; e++) order[fill[events.subjects[e]!]!++] = e
  const items = new Int32Array(n)
  const times = new Float64Array(n)
  const weights = new Float32Array(n)
  for (let s = 0; s < nSubjects; s++) {
    const lo = subjectPtr[s]!
    const hi = subjectPtr[s + 1]!
    const part = Array.from(order.subarray(lo, hi))
    part.sort(
      (a, b) => events.times[a]! - events.times[b]! || events.items[a]! - events.items[b]! || a - b,
    )
    for (let k = 0; k < part.length; k++) {
      const e = part[k]!
      items[lo + k] = events.items[e]!
      times[lo + k] = events.times[e]!
      weights[lo + k] = events.weights?.[e] ?? 1
    }
  }
  return { nSubjects, nItems, subjectPtr, items, times, weights }
}

/** The events of subject `s` as a `History` (views into the CSR arrays, no copy). */
export function historyOf(interactions: Interactions, s: number): History {
  const lo = interactions.subjectPtr[s]!
  const hi = interactions.subjectPtr[s + 1]!
  return {
    items: interactions.items.subarray(lo, hi),
    times: interactions.times.subarray(lo, hi),
    weights: interactions.weights.subarray(lo, hi),
  }
}

/** Builds a `History` from parallel arrays, sorting by time. `bought` as in `History`. */
export function createHistory(
  items: ArrayLike<number>,
  times: ArrayLike<number>,
  weights?: ArrayLike<number>,
  bought?: ArrayLike<number>,
): History {
  const n = items.length
  const order = Array.from({ length: n }, (_, k) => k)
  order.sort((a, b) => times[a]! - times[b]! || items[a]! - items[b]! || a - b)
  return {
    items: Int32Array.from(order, (k) => items[k]!),
    times: Float64Array.from(order, (k) => times[k]!),
    weights: Float32Array.from(order, (k) => (weights === undefined ? 1 : weights[k]!)),
    ...(bought === undefined ? {} : { bought: Uint8Array.from(order, (k) => bought[k]!) }),
  }
}

/** First event time (ms) of every item, NaN for items without events: input for new arrivals. */
export function firstSeenTimes(interactions: Interactions): Float64Array {
  const first = new Float64Array(interactions.nItems).fill(Number.NaN)
  for (let p = 0; p < interactions.items.length; p++) {
    const i = interactions.items[p]!
    const t = interactions.times[p]!
    if (!(first[i]! <= t)) first[i] = t
  }
  return first
}
