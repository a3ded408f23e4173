/**
 * Reference recommenders of BENCHMARKS.md section 1, written here for the benchmark only: TopPop
 * (subjects per item), RepeatFreq (the customer's own purchase counts, ties broken by popularity)
 * and ItemKNN (cosine between binary item columns, all neighbours kept; Sarwar et al. 2001,
 * "Item-based collaborative filtering recommendation algorithms").
 */
import type { Interactions } from '../../src/modules/recommend/engine/interactions.js'

/** Distinct subjects per item. */
export function itemPopularity(train: Interactions): Float64Array {
  const pop = new Float64Array(train.nItems)
  const seen = new Int32Array(train.nItems).fill(-1)
  for (let s = 0; s < train.nSubjects; s++) {
    for (let p = train.subjectPtr[s]!; p < train.subjectPtr[s + 1]!; p++) {
      const i = train.items[p]!
      if (seen[i] !== s) {
        seen[i] = s
        pop[i]!++
      }
    }
  }
  return pop
}

export function repeatFreqScores(train: Interactions, pop: Float64Array, s: number): Float64Array {
  // Plain loops: spreading a 50k-item array into Math.max, or a callback per item, costs more
  // than the scoring itself on large catalogs.
  let maxPop = 1
  for (let i = 0; i < pop.length; i++) if (pop[i]! > maxPop) maxPop = pop[i]!
  const out = new Float64Array(pop.length)
  for (let i = 0; i < pop.length; i++) out[i] = pop[i]! / (maxPop + 1)
  for (let p = train.subjectPtr[s]!; p < train.subjectPtr[s + 1]!; p++) out[train.items[p]!]! += 1
  return out
}

export interface CosineModel {
  ptr: Int32Array
  cols: Int32Array
  sims: Float32Array
}

/** Full cosine item-item similarity on binary subject-item data, as sparse rows. */
export function trainCosine(train: Interactions): CosineModel {
  const n = train.nItems
  const subjectsItems: Int32Array[] = []
  for (let s = 0; s < train.nSubjects; s++) {
    const set = new Set<number>()
    for (let p = train.subjectPtr[s]!; p < train.subjectPtr[s + 1]!; p++) set.add(train.items[p]!)
    subjectsItems.push(Int32Array.from(set))
  }
  const postings: number[][] = Array.from({ length: n }, () => [])
  subjectsItems.forEach((items, s) => {
    for (const i of items) postings[i]!.push(s)
  })
  const count = Float64Array.from(postings, (p) => p.length)
  const acc = new Float64Array(n)
  const ptr = new Int32Array(n + 1)
  const cols: number[] = []
  const sims: number[] = []
  const touched: number[] = []
  for (let i = 0; i < n; i++) {
    touched.length = 0
    for (const s of postings[i]!) {
      for (const j of subjectsItems[s]!) {
        if (j === i) continue
        if (acc[j] === 0) touched.push(j)
        acc[j]! += 1
      }
    }
    for (const j of touched) {
      cols.push(j)
      sims.push(acc[j]! / Math.sqrt(count[i]! * count[j]!))
      acc[j] = 0
    }
    ptr[i + 1] = cols.length
  }
  return { ptr, cols: Int32Array.from(cols), sims: Float32Array.from(sims) }
}

export function cosineScores(
  model: CosineModel,
  train: Interactions,
  pop: Float64Array,
  s: number,
): Float64Array {
  const out = new Float64Array(pop.length)
  for (let i = 0; i < pop.length; i++) out[i] = pop[i]! * 1e-12
  const seen = new Set<number>()
  for (let p = train.subjectPtr[s]!; p < train.subjectPtr[s + 1]!; p++) {
    const i = train.items[p]!
    if (seen.has(i)) continue
    seen.add(i)
    for (let q = model.ptr[i]!; q < model.ptr[i + 1]!; q++) out[model.cols[q]!]! += model.sims[q]!
  }
  return out
}
