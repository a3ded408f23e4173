/** Builders for engine tests: small hand-made data and a seeded "real-ish" synthetic shop. */
import { createIdIndex } from './ids.js'
import { buildInteractions, type Interactions } from './interactions.js'

export const DAY = 86_400_000
export const NOW = Date.UTC(2026, 0, 31)

/** `[subject, item, daysAgo]` rows over items named by strings. */
export function fromRows(
  rows: readonly (readonly [string, string, number])[],
  itemNames?: readonly string[],
): { interactions: Interactions; item: (name: string) => number; name: (i: number) => string } {
  const items = createIdIndex([...(itemNames ?? []), ...rows.map((r) => r[1])])
  const subjects = createIdIndex(rows.map((r) => r[0]))
  const interactions = buildInteractions(
    {
      subjects: Int32Array.from(rows, (r) => subjects.byId.get(r[0])!),
      items: Int32Array.from(rows, (r) => items.byId.get(r[1])!),
      times: Float64Array.from(rows, (r) => NOW - r[2] * DAY),
    },
    subjects.ids.length,
    items.ids.length,
  )
  return {
    interactions,
    item: (n) => {
      const i = items.byId.get(n)
      if (i === undefined) throw new Error(`no item ${n}`)
      return i
    },
    name: (i) => items.ids[i]!,
  }
}

/** Mulberry32: a tiny seeded generator so synthetic data is the same on every run. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * A shop with Zipf-like item popularity, baskets drawn around a subject's taste, repeat purchases
 * and a spread of times over 200 days: enough structure for co-occurrence ties and zero entries.
 */
export function syntheticShop(seed: number, nSubjects = 150, nItems = 60): Interactions {
  const rnd = seeded(seed)
  const subjects: number[] = []
  const items: number[] = []
  const times: number[] = []
  const pick = (): number => Math.min(nItems - 1, Math.floor(nItems * Math.pow(rnd(), 2.2)))
  for (let s = 0; s < nSubjects; s++) {
    const taste = Array.from({ length: 1 + Math.floor(rnd() * 8) }, pick)
    const orders = 1 + Math.floor(rnd() * 5)
    for (let o = 0; o < orders; o++) {
      const t = NOW - Math.floor(rnd() * 200 * DAY)
      const size = 1 + Math.floor(rnd() * 6)
      for (let k = 0; k < size; k++) {
        const i = rnd() < 0.7 ? taste[Math.floor(rnd() * taste.length)]! : pick()
        subjects.push(s)
        items.push(i)
        times.push(t + k * 60_000)
      }
    }
  }
  return buildInteractions(
    {
      subjects: Int32Array.from(subjects),
      items: Int32Array.from(items),
      times: Float64Array.from(times),
    },
    nSubjects,
    nItems,
  )
}

/** The same interactions without subject `s` (its row left empty, indices unchanged). */
export function withoutSubject(x: Interactions, s: number): Interactions {
  const keep: number[] = []
  for (let t = 0; t < x.nSubjects; t++) {
    if (t === s) continue
    for (let p = x.subjectPtr[t]!; p < x.subjectPtr[t + 1]!; p++) keep.push(p)
  }
  const subjectOf = new Int32Array(x.items.length)
  for (let t = 0; t < x.nSubjects; t++) subjectOf.fill(t, x.subjectPtr[t], x.subjectPtr[t + 1])
  return buildInteractions(
    {
      subjects: Int32Array.from(keep, (p) => subjectOf[p]!),
      items: Int32Array.from(keep, (p) => x.items[p]!),
      times: Float64Array.from(keep, (p) => x.times[p]!),
      weights: Float32Array.from(keep, (p) => x.weights[p]!),
    },
    x.nSubjects,
    x.nItems,
  )
}

/** The same interactions with subject indices reversed (s becomes n - 1 - s). */
export function reverseSubjects(x: Interactions): Interactions {
  const subjects = new Int32Array(x.items.length)
  for (let t = 0; t < x.nSubjects; t++) {
    subjects.fill(x.nSubjects - 1 - t, x.subjectPtr[t], x.subjectPtr[t + 1])
  }
  return buildInteractions(
    { subjects, items: x.items, times: x.times, weights: x.weights },
    x.nSubjects,
    x.nItems,
  )
}
