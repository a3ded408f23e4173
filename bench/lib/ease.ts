/**
 * EASE, the linear autoencoder reference: Steck, "Embarrassingly Shallow Autoencoders for Sparse
 * Data", WWW 2019. With X the binary customer-item matrix and G = X^T X, the item-item weights have
 * the closed form
 *
 *     P = (G + lambda I)^-1,   B = I - P / diag(P)   (column j divided by P_jj, diagonal 0)
 *
 * and a customer's scores are x_u B. The dense inverse costs n^3, so the model covers the `items`
 * most popular items only (about 1,500 keeps it to a few seconds in JavaScript); the others rank
 * after every modelled item, by popularity.
 */
import type { Interactions } from '../../src/modules/recommend/engine/interactions.js'
import { invertSpd } from '../../src/modules/recommend/engine/ease.js'
import { recall20Sparse, topK } from './metrics.js'
import type { Split } from './split.js'

/** The engine's Cholesky inverse (`engine/ease.ts`): one implementation for both EASE models. */
export { invertSpd } from '../../src/modules/recommend/engine/ease.js'

/** The `n` most popular items (ties to the lower index), as the model's columns. */
export function modelledItems(pop: Float64Array, n: number): Int32Array {
  return topK(pop, Math.min(n, pop.length))
}

/** G = X^T X over the modelled items (binary X: each customer counts an item once). */
export function easeGram(train: Interactions, columns: Int32Array): Float64Array {
  const n = columns.length
  const col = new Int32Array(train.nItems).fill(-1)
  columns.forEach((i, c) => (col[i] = c))
  const gram = new Float64Array(n * n)
  const seen = new Int32Array(train.nItems).fill(-1)
  const mine: number[] = []
  for (let s = 0; s < train.nSubjects; s++) {
    mine.length = 0
    for (let p = train.subjectPtr[s]!; p < train.subjectPtr[s + 1]!; p++) {
      const i = train.items[p]!
      if (seen[i] === s || col[i]! < 0) continue
      seen[i] = s
      mine.push(col[i]!)
    }
    for (const a of mine) {
      const ra = a * n
      for (const b of mine) gram[ra + b]!++
    }
  }
  return gram
}

/** B from G and lambda (row-major n x n, B_ij = -P_ij / P_jj, zero diagonal). */
export function easeWeights(gram: Float64Array, n: number, lambda: number): Float32Array {
  const g = Float64Array.from(gram)
  for (let i = 0; i < n; i++) g[i * n + i]! += lambda
  const p = invertSpd(g, n)
  const b = new Float32Array(n * n)
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) b[i * n + j] = i === j ? 0 : -p[i * n + j]! / p[j * n + j]!
  }
  return b
}

export interface EaseModel {
  lambda: number
  columns: Int32Array
  /** Column of each item, -1 when not modelled. */
  col: Int32Array
  weights: Float32Array
}

export function trainEase(
  train: Interactions,
  pop: Float64Array,
  lambda: number,
  items: number,
): EaseModel {
  const columns = modelledItems(pop, items)
  return fromGram(train.nItems, columns, easeGram(train, columns), lambda)
}

function fromGram(
  nItems: number,
  columns: Int32Array,
  gram: Float64Array,
  lambda: number,
): EaseModel {
  const col = new Int32Array(nItems).fill(-1)
  columns.forEach((i, c) => (col[i] = c))
  return { lambda, columns, col, weights: easeWeights(gram, columns.length, lambda) }
}

/**
 * The score of every item before the customer's own: popularity x 1e-12 for modelled items (a tie
 * break), popularity - 1e12 for the others (after every modelled item, by popularity).
 */
export function easeBase(model: EaseModel, pop: Float64Array): Float64Array {
  const out = new Float64Array(pop.length)
  for (let i = 0; i < pop.length; i++)
    out[i] = model.col[i]! >= 0 ? pop[i]! * 1e-12 : pop[i]! - 1e12
  return out
}

/** x_u B over the modelled items (columns order), for the customer's distinct train items. */
function easeRow(model: EaseModel, train: Interactions, s: number): Float64Array {
  const n = model.columns.length
  const row = new Float64Array(n)
  const seen = new Set<number>()
  for (let p = train.subjectPtr[s]!; p < train.subjectPtr[s + 1]!; p++) {
    const c = model.col[train.items[p]!]!
    if (c < 0 || seen.has(c)) continue
    seen.add(c)
    const w = model.weights.subarray(c * n, c * n + n)
    for (let j = 0; j < n; j++) row[j]! += w[j]!
  }
  return row
}

/** Scores of every item for customer `s` (`base` from `easeBase`). */
export function easeScores(
  model: EaseModel,
  train: Interactions,
  base: Float64Array,
  s: number,
): Float64Array {
  const out = base.slice()
  const row = easeRow(model, train, s)
  for (let j = 0; j < row.length; j++) out[model.columns[j]!]! += row[j]!
  return out
}

/** The lambdas tried on the validation split. */
export const EASE_LAMBDAS: readonly number[] = Object.freeze([20, 50, 200, 500, 1000, 3000])

export interface EaseTuning {
  lambda: number
  recall20: number
  candidates: number
}

/** Chooses lambda by Recall@20 on a validation split (the Gram matrix is built once). */
export function tuneEase(
  split: Split,
  pop: Float64Array,
  items: number,
  lambdas: readonly number[] = EASE_LAMBDAS,
): EaseTuning {
  const { train } = split
  const columns = modelledItems(pop, items)
  const gram = easeGram(train, columns)
  let best: EaseTuning | undefined
  for (const lambda of lambdas) {
    const model = fromGram(train.nItems, columns, gram, lambda)
    const base = easeBase(model, pop)
    const recall20 = recall20Sparse(split, base, (test) => {
      const row = easeRow(model, train, test.subject)
      for (let j = 0; j < row.length; j++) row[j]! += base[columns[j]!]!
      return { items: columns, scores: row }
    })
    if (best === undefined || recall20 > best.recall20) best = { lambda, recall20, candidates: 0 }
  }
  return { ...best!, candidates: lambdas.length }
}
