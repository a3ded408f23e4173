/**
 * The offline part of the fairness audit: a time-based validation split of stored events, the measure
 * of any `Recommender` on it (item-side figures, Recall@20 overall and per shopper group), and the
 * merging of small groups. Pure: the data and the engine come from `reviews.fairness.data.ts`.
 */
import { historyBucket, tenureOf } from '../recommend/index.js'
import {
  type CatalogView,
  MIN_GROUP,
  exposureMetrics,
  type MeasuredList,
  recallAt,
} from './reviews.metrics.js'
import type { ExposureMetrics, GroupQuality } from './reviews.js'

/** Shoppers a recommender is measured on at most (an even sample beyond that). */
export const MAX_EVALUATED_SHOPPERS = 2000
/** A recommender under audit: the items it would show a shopper with this history, best first. */
export type Recommender = (history: readonly string[], k: number) => string[] | Promise<string[]>

/** One shopper of the validation split: their training history and held-out items (no id kept). */
export interface SplitShopper {
  history: string[]
  heldOut: Set<string>
  jurisdiction: string
  level: string
  tenure: 'new' | 'returning'
}

export interface ValidationSplit {
  shoppers: SplitShopper[]
  /** The training part's events, for a recommender to learn from (owner: the shopper's index). */
  training: { owner: number; item: string; time: number; weight: number }[]
}

/** Buckets of training-history length, a group dimension: the answer log's own (one rule). */
export { historyBucket }

/**
 * Splits stored item events by time per shopper: the last fifth (at least one) of each shopper's
 * events, for shoppers with at least 3, is held out, the rest is their history. The held-out targets
 * are the distinct items bought in that part, repeats included, as the engine's own held-out
 * evaluation counts them (`recommend/engine/holdout.ts`, BENCHMARKS.md section 1); a shopper who
 * bought nothing there is not evaluated.
 */
export function validationSplit(
  events: readonly { owner: string; item: string; time: number; weight: number; bought: boolean }[],
  groupsOf: (owner: string) => { jurisdiction: string; level: string },
  now: Date,
): ValidationSplit {
  const byOwner = new Map<
    string,
    { item: string; time: number; weight: number; bought: boolean }[]
  >()
  for (const e of events) {
    let list = byOwner.get(e.owner)
    if (list === undefined) byOwner.set(e.owner, (list = []))
    list.push(e)
  }
  const shoppers: SplitShopper[] = []
  const training: ValidationSplit['training'] = []
  let index = 0
  for (const [owner, list] of byOwner) {
    list.sort((a, b) => a.time - b.time)
    const cut =
      list.length >= 3 ? list.length - Math.max(1, Math.floor(list.length / 5)) : list.length
    const past = list.slice(0, cut)
    for (const e of past)
      training.push({ item: e.item, time: e.time, weight: e.weight, owner: index })
    index++
    if (cut === list.length) continue
    const history = past.map((e) => e.item)
    const heldOut = new Set(
      list
        .slice(cut)
        .filter((e) => e.bought)
        .map((e) => e.item),
    )
    if (heldOut.size === 0) continue
    const first = list[0]!.time
    shoppers.push({
      history,
      heldOut,
      ...groupsOf(owner),
      tenure: tenureOf(first, now.getTime()),
    })
  }
  return { shoppers, training }
}

/** Merges groups under `MIN_GROUP` into `other` and withholds what is still too small. */
export function mergeSmallGroups(
  dimension: GroupQuality['dimension'],
  groups: Map<string, number[]>,
): GroupQuality[] {
  const out: GroupQuality[] = []
  const other: number[] = []
  let merged = false
  const mean = (xs: number[]) => Math.round((xs.reduce((a, b) => a + b, 0) / xs.length) * 1e4) / 1e4
  const blank = { viewRate: null, basketRate: null, purchaseRate: null }
  for (const [group, recalls] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
    if (recalls.length >= MIN_GROUP) {
      out.push({
        dimension,
        group,
        measured: 'offline',
        subjects: recalls.length,
        answers: null,
        merged: false,
        recallAt20: mean(recalls),
        ...blank,
      })
    } else {
      other.push(...recalls)
      merged = true
    }
  }
  if (merged) {
    const enough = other.length >= MIN_GROUP
    out.push({
      dimension,
      group: 'other',
      measured: 'offline',
      subjects: enough ? other.length : null,
      answers: null,
      merged: true,
      recallAt20: enough ? mean(other) : null,
      ...blank,
    })
  }
  return out
}

export interface OfflineResult {
  metrics: ExposureMetrics
  recallAt20: number | null
  groups: GroupQuality[]
}

/** Measures one recommender on a validation split: exposure, Recall@20 overall and per group. */
export async function evaluateRecommender(
  split: ValidationSplit,
  catalog: CatalogView,
  recommender: Recommender,
): Promise<OfflineResult> {
  const lists: MeasuredList[] = []
  const dims = {
    jurisdiction: new Map<string, number[]>(),
    level: new Map<string, number[]>(),
    tenure: new Map<string, number[]>(),
    history: new Map<string, number[]>(),
  }
  let recallSum = 0
  // An even sample beyond the cap, as the engine's own held-out evaluation does (`holdout.ts`).
  const stride = Math.max(1, Math.ceil(split.shoppers.length / MAX_EVALUATED_SHOPPERS))
  const evaluated = split.shoppers.filter((_, k) => k % stride === 0)
  for (const [k, shopper] of evaluated.entries()) {
    // Scoring is CPU work on the server's thread: let it answer requests every 100 shoppers.
    if (k % 100 === 99) await new Promise((resolve) => setImmediate(resolve))
    const items = await recommender(shopper.history, 20)
    lists.push({ items, history: shopper.history })
    const recall = recallAt(items, shopper.heldOut, 20)
    recallSum += recall
    const keys = {
      jurisdiction: shopper.jurisdiction,
      level: shopper.level,
      tenure: shopper.tenure,
      history: historyBucket(shopper.history.length),
    }
    for (const dim of Object.keys(dims) as (keyof typeof dims)[]) {
      const map = dims[dim]
      const list = map.get(keys[dim]) ?? []
      list.push(recall)
      map.set(keys[dim], list)
    }
  }
  const n = evaluated.length
  return {
    metrics: exposureMetrics(lists, catalog),
    recallAt20: n === 0 ? null : Math.round((recallSum / n) * 1e4) / 1e4,
    groups: (Object.keys(dims) as (keyof typeof dims)[]).flatMap((d) =>
      mergeSmallGroups(d, dims[d]),
    ),
  }
}

/** The served lists of the window, from the answer log rows. */
export function servedLists(answers: readonly { items: string }[]): MeasuredList[] {
  return answers.map((a) => ({ items: JSON.parse(a.items) as string[] }))
}
