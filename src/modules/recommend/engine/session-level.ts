/**
 * The `session` level: only the items touched in this visit (oldest first) and the `off` answer,
 * nothing else about the visitor. Neighbours of the session's items, the most recent weighing most
 * (`similar_to_viewed`), plus the `off` answer's items by rank, as far as the model's training chose.
 */
import { fillWithPopular, neighbourEvidence } from './evidence.js'
import { type Guards, isHidden, type ScoreOptions, skipMask, usable } from './guards.js'
import type { ItemModel } from './item-model.js'
import { mixReasons } from './mix.js'
import { scaleToMax } from './model-constants.js'
import type { SessionParams } from './params.js'
import type { Recommendation } from './scoring.js'
import { selectTopK } from './top-k.js'

/** Adds `weight(i) * W_ij` for every neighbour j of every source item i. */
function accumulateNeighbours(
  model: ItemModel,
  sources: Int32Array,
  sourceWeights: Float64Array,
  out: Float64Array,
): void {
  const { ptr, cols, weights } = model.neighbours
  for (let k = 0; k < sources.length; k++) {
    const i = sources[k]!
    const h = sourceWeights[k]!
    for (let p = ptr[i]!; p < ptr[i + 1]!; p++) out[cols[p]!]! += h * weights[p]!
  }
}

/** Session items with weights: the most recent distinct item weighs 1, each earlier one `decay` times less. */
function sessionSources(
  model: ItemModel,
  session: ArrayLike<number>,
  guards: Guards | undefined,
  decay: number,
): { items: Int32Array; weights: Float64Array } {
  const seen = new Set<number>()
  const items: number[] = []
  for (let k = session.length - 1; k >= 0; k--) {
    const i = session[k]!
    if (!usable(model, guards, i) || seen.has(i)) continue
    seen.add(i)
    items.push(i)
  }
  return {
    items: Int32Array.from(items),
    weights: Float64Array.from(items, (_, k) => Math.pow(decay, k)),
  }
}

/** How many of the `off` answer's items a session answer mixes in (by rank, see `SessionOptions.off`). */
export const SESSION_OFF_DEPTH = 100

export interface SessionOptions extends ScoreOptions {
  /** Overrides of the model's own `scoring.session`. */
  readonly params?: Partial<SessionParams>
  /**
   * The `off` answer for the same guards, best first (from `recommendNonPersonal`, at least
   * `SESSION_OFF_DEPTH` long where there are that many): its first `SESSION_OFF_DEPTH` items score
   * offWeight x (1 - rank / SESSION_OFF_DEPTH). Without it the off part is 0.
   */
  readonly off?: readonly Recommendation[]
}

/** The session score split in its two parts: neighbours of this visit's items, and the `off` answer. */
function sessionParts(
  model: ItemModel,
  session: ArrayLike<number>,
  options: Omit<SessionOptions, 'limit'>,
): { neighbour: Float64Array; off: Float64Array; sources: Int32Array } {
  const params = { ...model.scoring.session, ...options.params }
  const neighbour = new Float64Array(model.nItems)
  const off = new Float64Array(model.nItems)
  const src = sessionSources(model, session, options.guards, params.recencyDecay)
  if (!isHidden(options.guards, 'similar_to_viewed')) {
    accumulateNeighbours(model, src.items, src.weights, neighbour)
    scaleToMax(neighbour, params.neighbourWeight)
  }
  const list = options.off ?? []
  if (params.offWeight > 0)
    for (let rank = 0; rank < Math.min(list.length, SESSION_OFF_DEPTH); rank++)
      off[list[rank]!.item] = params.offWeight * (1 - rank / SESSION_OFF_DEPTH)
  return { neighbour, off, sources: src.items }
}

/**
 * Scores every item from this session's items only (oldest first) and the `off` answer, nothing else
 * about the visitor: neighbourWeight x scaled neighbours + offWeight x off rank score.
 */
export function scoreSession(
  model: ItemModel,
  session: ArrayLike<number>,
  options: Omit<SessionOptions, 'limit'> = {},
): Float64Array {
  const { neighbour, off } = sessionParts(model, session, options)
  for (let i = 0; i < neighbour.length; i++) neighbour[i]! += off[i]!
  return neighbour
}

/**
 * Recommendations at the `session` level: neighbours of the items touched in this visit
 * (`similar_to_viewed`, evidence: the session items linking to it) and, as far as the model's
 * training chose, the `off` answer's items with their own reasons; topped up with popular items.
 */
export function recommendSession(
  model: ItemModel,
  session: ArrayLike<number>,
  options: SessionOptions,
): Recommendation[] {
  const { neighbour, off, sources } = sessionParts(model, session, options)
  const skip = skipMask(model, options.guards)
  const total = new Float64Array(model.nItems)
  for (let i = 0; i < total.length; i++) total[i] = neighbour[i]! + off[i]!
  const offRecs = new Map((options.off ?? []).map((r) => [r.item, r]))
  const out = Array.from(
    selectTopK(total, options.limit, { skip, floor: 0 }),
    (j): Recommendation =>
      neighbour[j]! >= off[j]!
        ? {
            item: j,
            score: total[j]!,
            reason: 'similar_to_viewed',
            evidence: neighbourEvidence(model, sources, j),
          }
        : // The `off` answer's own explanation, evidence included (the page's item, say).
          { ...offRecs.get(j)!, score: total[j]! },
  )
  return fillWithPopular(model, mixReasons(out), options.limit, skip, options.guards)
}
