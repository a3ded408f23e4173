/**
 * The validation split of a benchmark run: the last part of the TRAIN period, held out so that a
 * reference can choose its parameters without ever reading the test period (rows at or after the
 * real cutoff are dropped before anything else is done).
 */
import type { RawEvents } from './data.js'
import { splitAt, type Split } from './split.js'

const DAY = 86_400_000

/** Rows strictly before `time`, basket ids kept. */
export function rowsBefore(raw: RawEvents, time: number): RawEvents {
  const out: RawEvents = { customers: [], items: [], times: [] }
  const baskets: string[] = []
  for (let e = 0; e < raw.times.length; e++) {
    if (!(raw.times[e]! < time)) continue
    out.customers.push(raw.customers[e]!)
    out.items.push(raw.items[e]!)
    out.times.push(raw.times[e]!)
    if (raw.baskets !== undefined) baskets.push(raw.baskets[e]!)
  }
  if (raw.baskets !== undefined) out.baskets = baskets
  return out
}

export interface Validation {
  /** Train rows only (before the real cutoff). */
  raw: RawEvents
  /** Split at the validation cutoff, test period ending at the real cutoff. */
  split: Split
  cutoff: number
  end: number
}

export interface ValidationOptions {
  /** Share of the train time span held out (default 0.1). */
  fraction?: number
  /** The held-out period is at least this many days (default 7). */
  minDays?: number
}

/**
 * Holds out the last `fraction` of the train span (at least `minDays`), starting on a UTC day
 * boundary. Undefined when the held-out period has no test customer (too little data to tune on).
 *
 * @example
 * const v = validationSplit(raw, cutoff) // train on before v.cutoff, score [v.cutoff, cutoff)
 */
export function validationSplit(
  raw: RawEvents,
  cutoff: number,
  options: ValidationOptions = {},
): Validation | undefined {
  const train = rowsBefore(raw, cutoff)
  let first = Infinity
  for (const t of train.times) if (t < first) first = t
  if (!Number.isFinite(first)) return undefined
  const hold = Math.max((options.minDays ?? 7) * DAY, (options.fraction ?? 0.1) * (cutoff - first))
  const valCutoff = Math.floor((cutoff - hold) / DAY) * DAY
  if (valCutoff <= first) return undefined
  const split = splitAt(train, valCutoff, cutoff)
  if (split.tests.length === 0) return undefined
  return { raw: train, split, cutoff: valCutoff, end: cutoff }
}

/** `YYYY-MM-DD` of a UTC time. */
export function isoDay(time: number): string {
  return new Date(time).toISOString().slice(0, 10)
}
