/**
 * Representativeness: do the shoppers who answer (reviews, surveys, feedback) look like the shopper
 * base? Compared per dimension (jurisdiction, personalization level, tenure) by the total variation
 * distance between the two distributions, TVD = 1/2 * sum |p_i - q_i| (0: the same shares, 1: no group
 * in common): a dimension is skewed when its distance passes `SKEW_THRESHOLD`. Too few respondents
 * (under `MIN_RESPONDENTS`) are reported as such rather than judged. Shares only, no counts per group.
 */
import { DAY_MS } from '../../lib/clock.js'

/** A dimension is skewed when respondents' shares differ from the base's by more than this (TVD). */
export const SKEW_THRESHOLD = 0.2
/** Fewer respondents than this are not judged. */
export const MIN_RESPONDENTS = 20
/** A shopper known for fewer days than this is `new`, else `returning`. */
export const NEW_SHOPPER_DAYS = 30

export const DIMENSIONS = ['jurisdiction', 'level', 'tenure'] as const
export type Dimension = (typeof DIMENSIONS)[number]

/** What the comparison knows of one shopper: no id, only their groups. */
export type ShopperProfile = Record<Dimension, string>

export interface DimensionComparison {
  dimension: Dimension
  /** Total variation distance between the respondents' and the base's shares. */
  distance: number
  skewed: boolean
  groups: { group: string; base: number; respondents: number }[]
}

export interface Representativeness {
  from: string
  to: string
  threshold: number
  minRespondents: number
  baseShoppers: number
  respondents: number
  /** Respondents on anonymous visits: not compared (a visit has no tenure). */
  anonymousRespondents: number
  /** Whether there were enough respondents to judge (else `skewed` is null). */
  enough: boolean
  skewed: boolean | null
  dimensions: DimensionComparison[]
}

/** New or returning by the time the shopper became known. */
export function tenureOf(knownSince: string, now: Date): 'new' | 'returning' {
  return now.getTime() - Date.parse(knownSince) < NEW_SHOPPER_DAYS * DAY_MS ? 'new' : 'returning'
}

const round = (x: number) => Math.round(x * 1e4) / 1e4

function shares(profiles: readonly ShopperProfile[], dimension: Dimension): Map<string, number> {
  const counts = new Map<string, number>()
  for (const p of profiles) counts.set(p[dimension], (counts.get(p[dimension]) ?? 0) + 1)
  for (const [group, n] of counts) counts.set(group, n / Math.max(1, profiles.length))
  return counts
}

/** The total variation distance between two distributions given as shares per group. */
export function totalVariation(p: ReadonlyMap<string, number>, q: ReadonlyMap<string, number>) {
  let sum = 0
  for (const group of new Set([...p.keys(), ...q.keys()]))
    sum += Math.abs((p.get(group) ?? 0) - (q.get(group) ?? 0))
  return sum / 2
}

/**
 * Compares respondents with the base per dimension.
 *
 * @example compareProfiles(base, respondents).find((d) => d.dimension === 'level')?.skewed
 */
export function compareProfiles(
  base: readonly ShopperProfile[],
  respondents: readonly ShopperProfile[],
  threshold = SKEW_THRESHOLD,
): DimensionComparison[] {
  return DIMENSIONS.map((dimension) => {
    const p = shares(base, dimension)
    const q = shares(respondents, dimension)
    const distance = round(totalVariation(p, q))
    const groups = [...new Set([...p.keys(), ...q.keys()])].sort().map((group) => ({
      group,
      base: round(p.get(group) ?? 0),
      respondents: round(q.get(group) ?? 0),
    }))
    return { dimension, distance, skewed: distance > threshold, groups }
  })
}
