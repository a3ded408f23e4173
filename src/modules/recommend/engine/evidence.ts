/**
 * What the personal and session levels share when they explain and complete an answer: the source
 * items an item's neighbour score came from (`neighbourEvidence`, the evidence of `bought_together`
 * and `similar_to_viewed`), and the popular items that top up a short answer (`fillWithPopular`).
 */
import { easeWeight } from './ease.js'
import { type Guards, isHidden } from './guards.js'
import { binarySearch, type ItemModel } from './item-model.js'
import { constantsOf } from './model-constants.js'
import type { Recommendation } from './scoring.js'

/**
 * The up-to-3 source items with the largest W_ij into `j`, strongest first; when none links to `j`
 * and `ease` is set (the score came from EASE), those with the largest positive EASE weight B_ij.
 */
export function neighbourEvidence(
  model: ItemModel,
  sources: Int32Array,
  j: number,
  ease = false,
): Int32Array {
  const { ptr, cols, weights } = model.neighbours
  const found: { i: number; w: number }[] = []
  for (const i of sources) {
    if (i === j) continue
    const p = binarySearch(cols, ptr[i]!, ptr[i + 1]!, j)
    if (p >= 0) found.push({ i, w: weights[p]! })
  }
  if (found.length === 0 && ease && model.ease !== undefined) {
    // Items others bought with j first (S_ij > 0); B_ij can be positive without that.
    const co = model.cooccurrence
    for (const i of sources) {
      const w = i === j ? 0 : easeWeight(model.ease, i, j)
      const together = binarySearch(co.cols, co.ptr[i]!, co.ptr[i + 1]!, j) >= 0
      if (w > 0) found.push({ i, w: together ? w + 1e9 : w })
    }
  }
  found.sort((a, b) => b.w - a.w || a.i - b.i)
  return Int32Array.from(found.slice(0, 3), (f) => f.i)
}

/** Tops `out` up to `limit` with popular items not yet in it (none when `popular` is hidden). */
export function fillWithPopular(
  model: ItemModel,
  out: Recommendation[],
  limit: number,
  skip: Uint8Array,
  guards: Guards | undefined,
): Recommendation[] {
  if (out.length >= limit || isHidden(guards, 'popular')) return out
  const taken = new Set(out.map((r) => r.item))
  const { popularRank } = constantsOf(model)
  for (let r = 0; r < popularRank.length && out.length < limit; r++) {
    const j = popularRank[r]!
    if (skip[j] === 1 || taken.has(j)) continue
    const recent = model.recentSubjects[j]! > 0
    out.push({ item: j, score: 0, reason: 'popular', evidence: new Int32Array(0), recent })
  }
  return out
}
