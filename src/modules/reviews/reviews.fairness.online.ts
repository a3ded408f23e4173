/**
 * The online half of the shopper-side parity (issue 20): view, basket and purchase rates per shopper
 * group, from the answers served in the window and what shoppers then did with them. Each logged
 * answer carries a coarse segment (`recommend/answer-segment.ts`: jurisdiction, tenure, history
 * length; its level too) and no owner; an event that cites an answer counts for it by the online
 * quality's own rule (`attribute`: the answer showed the cited item; once per answer and action).
 *
 * Figures are answers, never shoppers, as in the online quality. A group under `MIN_GROUP` answers is
 * merged into `other` with the other small groups of its dimension; when `other` is still too small,
 * its answers are withheld from EVERY dimension (and the check runs again until nothing more is
 * withheld), so that no group's figures can be had by subtracting the shown groups of one dimension
 * from those of another. Answers without a tenure or history bucket (not personal, or logged before
 * segments were kept) count only in the dimensions they have.
 */
import { type Citation, attribute } from '../recommend/index.js'
import { MIN_GROUP } from './reviews.metrics.js'
import type { GroupQuality } from './reviews.js'

/** One answer of the log as the online rates read it. */
export interface SegmentedAnswer {
  recommId: string
  level: string
  placement: string
  items: string[]
  jurisdiction: string | null
  tenure: string | null
  history: string | null
}

const DIMENSIONS = ['jurisdiction', 'level', 'tenure', 'history'] as const
type Dimension = (typeof DIMENSIONS)[number]

interface Counts {
  answers: number
  viewed: number
  carted: number
  purchased: number
}

/** The answers of `pool` per group of `dim` (answers without a value in it left out). */
function byGroup(pool: readonly SegmentedAnswer[], dim: Dimension): Map<string, SegmentedAnswer[]> {
  const groups = new Map<string, SegmentedAnswer[]>()
  for (const a of pool) {
    const value = a[dim]
    if (value === null) continue
    const list = groups.get(value)
    if (list === undefined) groups.set(value, [a])
    else list.push(a)
  }
  return groups
}

/**
 * The answers shown (after withholding, across dimensions, every `other` still under `minGroup`) and
 * the dimensions where something was withheld.
 */
function suppress(
  answers: readonly SegmentedAnswer[],
  minGroup: number,
): { pool: SegmentedAnswer[]; withheldIn: Set<Dimension> } {
  let pool = [...answers]
  const withheldIn = new Set<Dimension>()
  for (;;) {
    const withheld = new Set<SegmentedAnswer>()
    for (const dim of DIMENSIONS) {
      const small = [...byGroup(pool, dim).values()].filter((g) => g.length < minGroup)
      const total = small.reduce((n, g) => n + g.length, 0)
      if (total === 0 || total >= minGroup) continue
      withheldIn.add(dim)
      for (const g of small) for (const a of g) withheld.add(a)
    }
    if (withheld.size === 0) return { pool, withheldIn }
    pool = pool.filter((a) => !withheld.has(a))
  }
}

/**
 * Online rates per group of each dimension, small groups merged or withheld (see the module comment).
 *
 * @example onlineGroups(answers, [{ recommId: 'rec_1', action: 'purchase', item: '85123A' }])
 */
export function onlineGroups(
  answers: readonly SegmentedAnswer[],
  citations: readonly Citation[],
  minGroup: number = MIN_GROUP,
): GroupQuality[] {
  const acted = new Map<string, Set<Citation['action']>>()
  const cited = new Map(answers.map((a) => [a.recommId, a]))
  for (const { action } of attribute(cited, citations)) {
    const set = acted.get(action.recommId) ?? new Set()
    set.add(action.action)
    acted.set(action.recommId, set)
  }
  const count = (list: readonly SegmentedAnswer[]): Counts => {
    const c: Counts = { answers: list.length, viewed: 0, carted: 0, purchased: 0 }
    for (const a of list) {
      const did = acted.get(a.recommId)
      if (did === undefined) continue
      if (did.has('view')) c.viewed++
      if (did.has('cart')) c.carted++
      if (did.has('purchase')) c.purchased++
    }
    return c
  }
  const { pool, withheldIn } = suppress(answers, minGroup)
  const rows: GroupQuality[] = []
  for (const dim of DIMENSIONS) {
    const groups = [...byGroup(pool, dim)].sort(([a], [b]) => a.localeCompare(b))
    const other: SegmentedAnswer[] = []
    for (const [group, list] of groups) {
      if (list.length >= minGroup) rows.push(row(dim, group, false, count(list)))
      else other.push(...list)
    }
    if (other.length > 0) rows.push(row(dim, 'other', true, count(other)))
    else if (withheldIn.has(dim)) rows.push(row(dim, 'other', true, null))
  }
  return rows
}

/** One group's row; `counts` null when its figures are withheld. */
function row(dim: Dimension, group: string, merged: boolean, counts: Counts | null): GroupQuality {
  const rate = (n: number) =>
    counts === null || counts.answers === 0 ? null : Math.round((n / counts.answers) * 1e4) / 1e4
  return {
    dimension: dim,
    group,
    measured: 'online',
    subjects: null,
    answers: counts?.answers ?? null,
    merged,
    recallAt20: null,
    viewRate: rate(counts?.viewed ?? 0),
    basketRate: rate(counts?.carted ?? 0),
    purchaseRate: rate(counts?.purchased ?? 0),
  }
}
