/**
 * The `off` level: nothing about the visitor is used. Popular, trending and new items, and on a
 * product page the items bought together with it (the model's neighbour row: an aggregate).
 */
import { isHidden, type ScoreOptions, skipMask } from './guards.js'
import type { ItemModel } from './item-model.js'
import { constantsOf, topFromRank } from './model-constants.js'
import type { Recommendation } from './scoring.js'
import { selectTopK } from './top-k.js'

const DAY_MS = 86_400_000

/**
 * New arrivals: items first listed within `days` of `now`, newest first. `firstSeen[i]` is the
 * first time (ms) item i was listed or seen (NaN when unknown); the catalog is the natural source,
 * `firstSeenTimes` derives it from events.
 */
export function scoreNew(
  model: ItemModel,
  firstSeen: Float64Array,
  now: number,
  days = 30,
): Float64Array {
  const out = new Float64Array(model.nItems)
  const candidates = newCandidates(model, firstSeen, now, days)
  for (let k = 0; k < candidates.length; k++) {
    const i = candidates[k]!
    out[i] = newScore(model, firstSeen[i]!, now, days, i)
  }
  return out
}

function newScore(model: ItemModel, t: number, now: number, days: number, i: number): number {
  const from = now - days * DAY_MS
  // Newer first; popularity only orders items listed at the same time.
  return 1 + (t - from) / (days * DAY_MS) + 1e-9 * constantsOf(model).popular[i]!
}

/** Items first seen in (now - days, now], by index. */
function newCandidates(
  model: ItemModel,
  firstSeen: Float64Array,
  now: number,
  days: number,
): Int32Array {
  const from = now - days * DAY_MS
  const found: number[] = []
  for (let i = 0; i < model.nItems; i++) {
    const t = firstSeen[i] ?? Number.NaN
    if (t > from && t <= now) found.push(i)
  }
  return Int32Array.from(found)
}

export interface NonPersonalOptions extends ScoreOptions {
  /** Input of `scoreNew`; without it there are no `new` items. */
  readonly firstSeen?: Float64Array
  readonly now?: number
  readonly newDays?: number
  /**
   * The product on the page: the items most often bought together with it (its neighbour row in the
   * model, which is aggregate, not anyone's data) lead each round as `bought_with_item`.
   */
  readonly item?: number
  /**
   * Slots per reason in each round of interleaving (default 3 popular, 1 trending, 1 new; with an
   * `item`, 2 bought_with_item, 2 popular, 1 trending, 1 new).
   */
  readonly mix?: Partial<Record<OffKind, number>>
}

type OffKind = 'bought_with_item' | 'popular' | 'trending' | 'new'

/** One reason's candidates, best first, with the scores they carry into the answer. */
interface OffList {
  readonly kind: OffKind
  readonly items: Int32Array
  readonly scores: Float64Array
}

/**
 * Recommendations at the `off` level: nothing about the visitor is used. Interleaves the page
 * item's bought-together items (when there is one), popular, trending and new items by `mix`, each
 * item once, under the item guards.
 */
export function recommendNonPersonal(
  model: ItemModel,
  options: NonPersonalOptions,
): Recommendation[] {
  const { guards, limit } = options
  const skip = skipMask(model, guards)
  const withItem = options.item !== undefined && options.item >= 0 && options.item < model.nItems
  const mix: Record<OffKind, number> = {
    ...(withItem
      ? { bought_with_item: 2, popular: 2, trending: 1, new: 1 }
      : { bought_with_item: 0, popular: 3, trending: 1, new: 1 }),
    ...options.mix,
  }
  const lists: OffList[] = []
  const c = constantsOf(model)
  const wanted = (kind: OffKind) => mix[kind] > 0 && !isHidden(guards, kind)
  if (withItem && wanted('bought_with_item'))
    lists.push(boughtWithList(model, options.item, limit, skip))
  // Read-only below: the cached vectors are only indexed, never handed out.
  if (wanted('popular')) {
    lists.push({
      kind: 'popular',
      scores: c.popular,
      items: topFromRank(c.popularRank, limit, skip),
    })
  }
  if (wanted('trending')) {
    lists.push({
      kind: 'trending',
      scores: c.trending,
      items: topFromRank(c.trendingRank, limit, skip),
    })
  }
  if (wanted('new') && options.firstSeen !== undefined && options.now !== undefined) {
    const days = options.newDays ?? 30
    lists.push(newList(model, options.firstSeen, options.now, days, limit, skip))
  }
  return interleave(model, lists, mix, limit, options.item)
}

/** The items most often bought together with the page's item: its neighbour row, strongest first. */
function boughtWithList(model: ItemModel, row: number, limit: number, skip: Uint8Array): OffList {
  const scores = new Float64Array(model.nItems)
  const { ptr, cols, weights } = model.neighbours
  for (let p = ptr[row]!; p < ptr[row + 1]!; p++) scores[cols[p]!] = weights[p]!
  const candidates = cols.subarray(ptr[row], ptr[row + 1])
  return {
    kind: 'bought_with_item',
    scores,
    items: selectTopK(scores, limit, { candidates, skip, floor: 0 }),
  }
}

/** New arrivals (as `scoreNew` scores them), newest first. */
function newList(
  model: ItemModel,
  firstSeen: Float64Array,
  now: number,
  days: number,
  limit: number,
  skip: Uint8Array,
): OffList {
  const candidates = newCandidates(model, firstSeen, now, days)
  const scores = new Float64Array(model.nItems)
  for (let k = 0; k < candidates.length; k++) {
    const i = candidates[k]!
    scores[i] = newScore(model, firstSeen[i]!, now, days, i)
  }
  return {
    kind: 'new',
    scores,
    items: selectTopK(scores, limit, { candidates, skip, floor: 0 }),
  }
}

/**
 * Rounds over the lists in order, each taking its `mix` slots with items not taken yet, until the
 * answer is `limit` long or no list has anything left.
 */
function interleave(
  model: ItemModel,
  lists: readonly OffList[],
  mix: Record<OffKind, number>,
  limit: number,
  item: number | undefined,
): Recommendation[] {
  const out: Recommendation[] = []
  const taken = new Set<number>()
  const pos = lists.map(() => 0)
  let progressed = true
  while (out.length < limit && progressed) {
    progressed = false
    lists.forEach((list, l) => {
      for (let slot = 0; slot < mix[list.kind] && out.length < limit; slot++) {
        while (pos[l]! < list.items.length && taken.has(list.items[pos[l]!]!)) pos[l]!++
        if (pos[l]! >= list.items.length) return
        const j = list.items[pos[l]!++]!
        taken.add(j)
        const rec: Recommendation = {
          item: j,
          score: list.scores[j]!,
          reason: list.kind,
          evidence: list.kind === 'bought_with_item' ? Int32Array.of(item!) : new Int32Array(0),
        }
        // Popular ranks by the recent window first (`popularityScore`), all-time after.
        out.push(list.kind === 'popular' ? { ...rec, recent: model.recentSubjects[j]! > 0 } : rec)
        progressed = true
      }
    })
  }
  return out
}
