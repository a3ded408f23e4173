/**
 * The pure core of a differentially private answer: contribution bounding, sensitivity, noise and
 * partition selection. No I/O: the repository hands in one row per (owner, group) already grouped
 * and clamped by SQL, the service hands in a plan and an rng, and this file returns the cells.
 *
 * Privacy argument (add/remove one owner, that is one subject or anonymous session):
 * - after {@link boundContributions} an owner adds to at most G groups, at most L rows to each and a
 *   clamped value, rounded to the plan's resolution, of magnitude at most L*M to each (M = max
 *   |bound|); so a measure's vector of true answers moves by at most {@link sensitivity} in L1, L2;
 * - each cell's components get noise calibrated to a share of the query's rho (or epsilon, for
 *   Laplace): a public cell's value gets all of it (a mean: half to the sum, half to the count); a
 *   non-public cell's value gets half and the partition-selection count the other half. Per group,
 *   the shares add up to one and an owner's per-group change is at most 1/G of the squared L2 (or of
 *   the L1) sensitivity, so over its <= G groups the loss is at most rho (CKS 2020 Theorem 14;
 *   Bun-Steinke 2016 Lemma 2.3);
 * - a non-public group that only one owner created has a distinct-subject count of exactly 1; it is
 *   released only when 1 + noise reaches a threshold that noise alone reaches with probability
 *   <= selectionDelta / G, so the owner's up-to-G such groups all stay hidden except with probability
 *   selectionDelta (the delta added to the cost).
 * Whether selection is used depends only on the plan (selectionDelta > 0), never on the data.
 */
import { groupRank, ownerSeed } from '../../lib/group-rank.js'
import {
  epsilonForRho,
  halfWidth,
  noiseFor,
  noiseScaleOf,
  rhoForEpsilon,
  tailQuantile,
} from './insights.dp.accounting.js'
import {
  sampleDiscreteGaussian,
  sampleDiscreteLaplace,
  type UniformRng,
} from './insights.dp.samplers.js'
import type {
  Dimension,
  InsightCell,
  Measure,
  Mechanism,
  PrivacyCost,
  Rational,
} from './insights.js'

/**
 * One row per (owner, group): how many of the owner's rows fall in the group and the sum of their
 * values already clamped to the bounds (SQL does the clamping and the grouping).
 */
export interface OwnerGroupRow {
  owner: string
  key: readonly string[]
  rows: number
  clampedSum: number
}

/** Everything the engine needs to know about a query; built by the service from the request. */
export interface QueryPlan {
  measure: Measure
  mechanism: Mechanism
  /** Per query; charged rho = epsilon^2 / 2. */
  epsilon: number
  /** L: rows one subject may add to one group. */
  maxRowsPerGroup: number
  /** G: groups one subject may add to. */
  maxGroupsPerSubject: number
  /** Value bounds in the field's units (sum, mean); the values are clamped to them by SQL. */
  bounds?: [number, number]
  /**
   * The value step a sum or mean counts in (default 1): 0.01 counts prices in cents. Each owner's
   * clamped sum in a group is rounded to this step, the noise is added in steps (the samplers are
   * integer), and cells come back in the field's units. Without it a price of 0.85 would count as 1.
   */
  resolution?: number
  /** The dimensions the key's parts stand for, in order (names of the cells' `group`). */
  groupBy: readonly Dimension[]
  /** Every public group key: released even when empty. null: none enumerable. */
  publicKeys: readonly (readonly string[])[] | null
  /**
   * Keys outside publicKeys that are still public. Informational only: the engine releases a key
   * that is not listed in publicKeys only through partition selection, because whether a cell
   * appears at all must not depend on one owner's rows (a public key released only when someone
   * created it would reveal that someone did).
   */
  isPublic?: (key: readonly string[]) => boolean
  /**
   * Delta spent by partition selection for non-public keys. 0 turns selection off: every
   * non-public key is then withheld (use it when every possible key is public).
   */
  selectionDelta: number
  /** The charter's delta, at which the Gaussian's rho is shown as (epsilon, delta). */
  delta: number
}

/** A group's bounded true answer: rows, clamped value sum (in steps of `resolution`) and distinct owners. */
export interface BoundedGroup {
  key: readonly string[]
  count: number
  sum: number
  subjects: number
}

export interface Release {
  cells: InsightCell[]
  cost: PrivacyCost
  /**
   * Cells withheld after noise. Always 0 here: how many non-public groups selection withheld is
   * itself not private (one owner can add G of them), so it is never counted; a caller that
   * withholds released cells on their noisy values (the clean room's minimum group size) adds its
   * own count.
   */
  suppressed: number
}

/** A noisy component's exact noise: sigma^2 (Gaussian) or t (Laplace). */
interface Noise {
  mechanism: Mechanism
  param: Rational
  scale: number
}

const HALF: Rational = { num: 1n, den: 2n }
const WHOLE: Rational = { num: 1n, den: 1n }

function assertPlan(plan: QueryPlan): void {
  const { maxRowsPerGroup: l, maxGroupsPerSubject: g, epsilon } = plan
  if (!Number.isInteger(l) || l < 1) throw new RangeError('maxRowsPerGroup must be an integer >= 1')
  if (!Number.isInteger(g) || g < 1)
    throw new RangeError('maxGroupsPerSubject must be an integer >= 1')
  if (!(epsilon > 0) || !Number.isFinite(epsilon)) throw new RangeError('epsilon must be > 0')
  if (!(plan.selectionDelta >= 0 && plan.selectionDelta < 1)) {
    throw new RangeError('selectionDelta must be in [0, 1)')
  }
  if ((plan.measure === 'sum' || plan.measure === 'mean') && !plan.bounds) {
    throw new RangeError(`${plan.measure} needs bounds`)
  }
  const k = 1 / (plan.resolution ?? 1)
  if (!(Math.abs(k - Math.round(k)) < 1e-9 && k >= 1)) {
    throw new RangeError('resolution must be 1 divided by a whole number (1, 0.1, 0.01 ...)')
  }
  if (plan.bounds && !(plan.bounds[0] <= plan.bounds[1])) {
    throw new RangeError('bounds must be [low, high] with low <= high')
  }
}

/** Steps per unit of the value field: 1 / resolution, a whole number. */
export function stepsOf(plan: QueryPlan): number {
  return Math.round(1 / (plan.resolution ?? 1))
}

/** The bounds in steps, rounded inwards (integers). */
export function stepBounds(plan: QueryPlan): [number, number] {
  const [lo, hi] = plan.bounds ?? [0, 0]
  const k = stepsOf(plan)
  return [Math.ceil(lo * k - 1e-9), Math.floor(hi * k + 1e-9)]
}

/** M: the largest magnitude a clamped value can have, in steps. */
function magnitude(plan: QueryPlan): number {
  if (!plan.bounds) return 0
  const [lo, hi] = stepBounds(plan)
  return Math.max(Math.abs(Math.floor(lo)), Math.abs(Math.ceil(hi)))
}

/** Per-group sensitivity of each component (one owner's most change to one group). */
function perGroup(plan: QueryPlan): { count: number; sum: number; subjects: number } {
  const l = plan.maxRowsPerGroup
  return { count: l, sum: l * magnitude(plan), subjects: 1 }
}

/**
 * How much one owner can move the measure's vector of true answers, in L1 and L2:
 * events L*G and L*sqrt(G); subjects G and sqrt(G); sum (and the sum half of a mean) L*M*G and
 * L*M*sqrt(G), where M = max |bound|. (A mean's count half has the events' sensitivity.)
 *
 * @example sensitivity({ measure: 'events', maxRowsPerGroup: 4, maxGroupsPerSubject: 25, ... }) // { l1: 100, l2: 20 }
 */
export function sensitivity(plan: QueryPlan): { l1: number; l2: number } {
  assertPlan(plan)
  const g = plan.maxGroupsPerSubject
  const per = perGroup(plan)
  const one =
    plan.measure === 'events'
      ? per.count
      : plan.measure === 'subjects'
        ? per.subjects
        : per.sum / stepsOf(plan)
  return { l1: one * g, l2: one * Math.sqrt(g) }
}

/** JSON of a group key: the map key of {@link boundContributions}. */
export function groupKeyId(key: readonly string[]): string {
  return JSON.stringify(key)
}

/**
 * Bound each owner's contribution: at most L rows per group (a capped group's clamped sum scaled by
 * L/rows and rounded, so it stays within L*bounds) and at most G groups per owner. When an owner has
 * more than G groups, the G kept are those with the smallest keyed hash of (salt, owner, key): a
 * choice that depends only on the owner's own rows, so adding or removing one owner changes nothing
 * else.
 * Rows for the same (owner, group) are merged first.
 */
export function boundContributions(
  rows: readonly OwnerGroupRow[],
  plan: QueryPlan,
  salt: Buffer,
): Map<string, BoundedGroup> {
  assertPlan(plan)
  const l = plan.maxRowsPerGroup
  const g = plan.maxGroupsPerSubject
  const [lo, hi] = stepBounds(plan)
  const k = stepsOf(plan)
  // Each owner's groups in a map of their own (repeated rows merged there); an owner with at most G
  // groups (nearly all) is added straight to the answer, the others ranked first. UCI reads ~80,000
  // such rows: no key joining owner and group, no second map of group counts.
  type OwnerGroup = { id: string; key: readonly string[]; rows: number; sum: number }
  const owners = new Map<string, Map<string, OwnerGroup>>()
  for (const row of rows) {
    if (!(row.rows > 0)) continue
    const id = groupKeyId(row.key)
    let groups = owners.get(row.owner)
    if (groups === undefined) owners.set(row.owner, (groups = new Map<string, OwnerGroup>()))
    const seen = groups.get(id)
    if (seen) {
      seen.rows += row.rows
      seen.sum += row.clampedSum
    } else groups.set(id, { id, key: row.key, rows: row.rows, sum: row.clampedSum })
  }
  const out = new Map<string, BoundedGroup>()
  const add = (group: OwnerGroup): void => {
    const count = Math.min(group.rows, l)
    const scaled = (group.rows > l ? (group.sum * l) / group.rows : group.sum) * k
    const sum = Math.min(count * hi, Math.max(count * lo, Math.round(scaled)))
    const total = out.get(group.id)
    if (total) {
      total.count += count
      total.sum += sum
      total.subjects += 1
    } else out.set(group.id, { key: group.key, count, sum, subjects: 1 })
  }
  for (const [owner, groups] of owners) {
    if (groups.size <= g) {
      for (const group of groups.values()) add(group)
      continue
    }
    const seed = ownerSeed(salt, owner)
    ;[...groups.values()]
      .map((group) => ({ group, rank: groupRank(seed, group.id) }))
      .sort((x, y) => x.rank - y.rank || (x.group.id < y.group.id ? -1 : 1))
      .slice(0, g)
      .forEach(({ group }) => add(group))
  }
  return out
}

/**
 * A query's privacy cost, known before any data is read (for dry runs): rho = epsilon^2/2, shown
 * as (epsilon, delta). Laplace without selection is pure epsilon-DP (delta 0); Gaussian is shown at
 * the charter's delta; partition selection adds its own delta.
 */
export function queryCost(plan: QueryPlan): PrivacyCost {
  assertPlan(plan)
  const rho = rhoForEpsilon(plan.epsilon)
  const selection = plan.selectionDelta > 0 ? plan.selectionDelta : 0
  if (plan.mechanism === 'laplace') return { rho, epsilon: plan.epsilon, delta: selection }
  return { rho, epsilon: epsilonForRho(rho, plan.delta), delta: plan.delta + selection }
}

function noise(plan: QueryPlan, component: 'count' | 'sum' | 'subjects', share: Rational): Noise {
  const per = perGroup(plan)[component]
  const g = plan.maxGroupsPerSubject
  const param = noiseFor(
    plan.mechanism,
    { l1: per * g, l2Squared: per * per * g },
    share,
    plan.epsilon,
  )
  return { mechanism: plan.mechanism, param, scale: noiseScaleOf(plan.mechanism, param) }
}

function draw(n: Noise, rng: UniformRng): number {
  const z =
    n.mechanism === 'gaussian'
      ? sampleDiscreteGaussian(n.param, rng)
      : sampleDiscreteLaplace(n.param, rng)
  return Number(z)
}

/** The noise and interval half-widths one kind of cell (public or not) uses. */
interface CellNoise {
  value: Noise
  /** A mean's count half. */
  count?: Noise
  half: number
  countHalf: number
}

function cellNoise(plan: QueryPlan, share: Rational): CellNoise {
  if (plan.measure === 'mean') {
    const split = { num: share.num, den: share.den * 2n }
    const value = noise(plan, 'sum', split)
    const count = noise(plan, 'count', split)
    // Two 97.5% intervals hold together with probability >= 95% (union bound).
    return {
      value,
      count,
      half: halfWidth(value.mechanism, value.param, 0.975),
      countHalf: halfWidth(count.mechanism, count.param, 0.975),
    }
  }
  const component =
    plan.measure === 'events' ? 'count' : plan.measure === 'sum' ? 'sum' : 'subjects'
  const value = noise(plan, component, share)
  return { value, half: halfWidth(value.mechanism, value.param), countHalf: 0 }
}

function cellOf(
  plan: QueryPlan,
  key: readonly string[],
  truth: BoundedGroup | undefined,
  n: CellNoise,
  rng: UniformRng,
): InsightCell {
  const group: Record<string, string> = {}
  plan.groupBy.forEach((dimension, i) => (group[dimension] = key[i] ?? ''))
  const count = truth?.count ?? 0
  const sum = truth?.sum ?? 0
  if (plan.measure !== 'mean' || !n.count) {
    const exact =
      plan.measure === 'events' ? count : plan.measure === 'sum' ? sum : (truth?.subjects ?? 0)
    const noisy = exact + draw(n.value, rng)
    // A sum is counted in steps of `resolution`; given back in the field's units.
    const k = plan.measure === 'sum' ? stepsOf(plan) : 1
    return {
      group,
      value: noisy / k,
      noiseScale: n.value.scale / k,
      interval: [(noisy - n.half) / k, (noisy + n.half) / k],
    }
  }
  const [lo, hi] = plan.bounds ?? [0, 0]
  const k = stepsOf(plan)
  const noisySum = (sum + draw(n.value, rng)) / k
  const noisyCount = count + draw(n.count, rng)
  const clamp = (x: number): number => Math.min(hi, Math.max(lo, x))
  const value = noisyCount >= 1 ? clamp(noisySum / noisyCount) : clamp((lo + hi) / 2)
  const cLo = noisyCount - n.countHalf
  const cHi = noisyCount + n.countHalf
  let interval: [number, number] = [lo, hi]
  if (cLo >= 1) {
    const corners = [noisySum - n.half / k, noisySum + n.half / k].flatMap((s) => [
      s / cLo,
      s / cHi,
    ])
    interval = [clamp(Math.min(...corners)), clamp(Math.max(...corners))]
  }
  return { group, value, noiseScale: n.value.scale / k / Math.max(1, noisyCount), interval }
}

/**
 * Add noise and release: every key in `publicKeys` (empty ones as 0); any other key only when its noisy distinct-subject count reaches the selection threshold.
 * Each cell carries its noisy value, the noise scale (sigma or t, in the cell's units; a mean's is
 * the sum's scale over the noisy count, approximate) and an exact 95% interval for the noise (a
 * mean's from two 97.5% intervals). Noisy values are not clamped to 0 so they stay unbiased.
 */
export function release(
  bounded: ReadonlyMap<string, BoundedGroup>,
  plan: QueryPlan,
  rng: UniformRng,
): Release {
  const cost = queryCost(plan)
  const cells: InsightCell[] = []
  const publicNoise = cellNoise(plan, WHOLE)
  const listed = new Set<string>()
  for (const key of plan.publicKeys ?? []) {
    const id = groupKeyId(key)
    if (listed.has(id)) continue
    listed.add(id)
    cells.push(cellOf(plan, key, bounded.get(id), publicNoise, rng))
  }
  if (!(plan.selectionDelta > 0)) return { cells, cost, suppressed: 0 }
  const hiddenNoise = cellNoise(plan, HALF)
  const selection = noise(plan, 'subjects', HALF)
  const threshold = selectionThreshold(plan)
  for (const [id, truth] of bounded) {
    if (listed.has(id)) continue
    if (truth.subjects + draw(selection, rng) < threshold) continue
    cells.push(cellOf(plan, truth.key, truth, hiddenNoise, rng))
  }
  return { cells, cost, suppressed: 0 }
}

/**
 * The noisy distinct-subject count a non-public group must reach (Infinity: no selection): 1 plus
 * the smallest q that the selection noise reaches with probability <= selectionDelta / G.
 */
export function selectionThreshold(plan: QueryPlan): number {
  if (!(plan.selectionDelta > 0)) return Infinity
  const { mechanism, param } = noise(plan, 'subjects', HALF)
  return 1 + tailQuantile(mechanism, param, plan.selectionDelta / plan.maxGroupsPerSubject)
}
