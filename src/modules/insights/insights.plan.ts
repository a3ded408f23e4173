/**
 * From a validated query body to what the engine and the SQL need: the contribution bounds (at most
 * the charter's), the day range, the public group keys (released even when empty), whether partition
 * selection is needed, and the cost. Every refusal is a 400 naming the field. Pure: the catalog's keys
 * are handed in.
 */
import { DAY_MS } from '../../lib/clock.js'
import { AppError } from '../../lib/errors.js'
import type { Charter, InsightsSettings } from '../charter/index.js'
import type { QueryPlan } from './insights.engine.js'
import type { Dimension, InsightsQuery } from './insights.js'

/** A public domain larger than this is refused: grouping by it would print mostly noise. */
export const MAX_PUBLIC_CELLS = 50_000
/** The longest day range a query may cover. */
const MAX_DAYS = 3660

/** Levels an answer may cite, and `none` for an event that cites none. */
export const LEVEL_KEYS = ['off', 'session', 'personal', 'none'] as const

function invalid(field: string, reason: string): AppError {
  return new AppError('validation_failed', `${field}: ${reason}`, { issues: [{ field, reason }] })
}

function dayOf(date: Date): string {
  return date.toISOString().slice(0, 10)
}

/** ISO 8601 week of a `YYYY-MM-DD` day, as `YYYY-Www` (the SQL's `%G-W%V` / `IYYY-"W"IW`). */
export function isoWeek(day: string): string {
  const date = new Date(`${day}T00:00:00Z`)
  const weekday = (date.getUTCDay() + 6) % 7 // Monday 0
  const thursday = new Date(date.getTime() + (3 - weekday) * DAY_MS)
  const year = thursday.getUTCFullYear()
  const firstThursday = new Date(Date.UTC(year, 0, 4))
  const firstWeekday = (firstThursday.getUTCDay() + 6) % 7
  const week1Monday = firstThursday.getTime() - firstWeekday * DAY_MS
  const week = 1 + Math.floor((thursday.getTime() - 3 * DAY_MS - week1Monday) / (7 * DAY_MS))
  return `${year}-W${String(week).padStart(2, '0')}`
}

export interface CatalogKeys {
  items: readonly string[]
  categories: readonly string[]
}

export interface PlannedQuery {
  plan: QueryPlan
  from: string
  to: string
  /** The jurisdiction codes the charter declares. */
  jurisdictions: string[]
}

/** The day range: `to` defaults to today, `from` to as far back as statistics keep events. */
function dayRange(query: InsightsQuery, charter: Charter, now: Date): { from: string; to: string } {
  const keptDays = Math.max(
    1,
    ...Object.values(charter.purposes)
      .filter((p) => p.aggregateAnalytics === true)
      .map((p) => p.retentionDays),
  )
  const to = query.filters.to ?? dayOf(now)
  const from =
    query.filters.from ?? dayOf(new Date(new Date(`${to}T00:00:00Z`).getTime() - keptDays * DAY_MS))
  if (from > to) throw invalid('body.filters.from', `is after filters.to (${to})`)
  const days = (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS + 1
  if (days > MAX_DAYS)
    throw invalid('body.filters.from', `the range covers more than ${MAX_DAYS} days`)
  return { from, to }
}

function daysOf(from: string, to: string): string[] {
  const out: string[] = []
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += DAY_MS) {
    out.push(dayOf(new Date(t)))
  }
  return out
}

/** The public keys of one dimension, or null when they are not enumerable (placement). */
function publicValues(
  dimension: Dimension,
  query: InsightsQuery,
  range: { from: string; to: string },
  jurisdictions: readonly string[],
  catalog: CatalogKeys,
): readonly string[] | null {
  switch (dimension) {
    case 'item':
      return query.filters.items ?? catalog.items
    case 'category':
      return query.filters.categories ?? [...catalog.categories, 'unknown']
    case 'day':
      return daysOf(range.from, range.to)
    case 'week':
      return [...new Set(daysOf(range.from, range.to).map(isoWeek))]
    case 'level':
      return LEVEL_KEYS
    case 'jurisdiction':
      return [...new Set([...jurisdictions, 'default', 'unknown'])]
    case 'placement':
      return null
  }
}

/** Every combination of the dimensions' public values, or null when one is not enumerable. */
function publicKeysOf(values: readonly (readonly string[] | null)[]): string[][] | null {
  if (values.some((v) => v === null)) return null
  const size = values.reduce((n, v) => n * (v?.length ?? 1), 1)
  if (size > MAX_PUBLIC_CELLS) {
    throw invalid(
      'body.groupBy',
      `these dimensions make ${size} public cells, more than ${MAX_PUBLIC_CELLS}; narrow the range or filter items`,
    )
  }
  let keys: string[][] = [[]]
  for (const v of values) keys = keys.flatMap((k) => (v ?? []).map((x) => [...k, x]))
  return keys
}

/**
 * The plan of a query. `catalog` is read only when the query groups by item or category.
 *
 * @example planQuery(body, charter, charter.insights!, clock.now(), catalog)
 */
export function planQuery(
  query: InsightsQuery,
  charter: Charter,
  settings: InsightsSettings,
  now: Date,
  catalog: CatalogKeys,
): PlannedQuery {
  const valued = query.measure === 'sum' || query.measure === 'mean'
  if (valued && query.field === undefined) {
    throw invalid('body.field', `is required for measure ${query.measure} (quantity or price)`)
  }
  if (!valued && query.field !== undefined) {
    throw invalid('body.field', `only applies to sum and mean, not ${query.measure}`)
  }
  const limits = settings.contribution
  const asked = query.contribution ?? {}
  for (const name of ['maxRowsPerGroup', 'maxGroupsPerSubject'] as const) {
    const value = asked[name]
    if (value !== undefined && value > limits[name]) {
      throw invalid(`body.contribution.${name}`, `may be at most the charter's ${limits[name]}`)
    }
  }
  const range = dayRange(query, charter, now)
  const jurisdictions = Object.keys(charter.jurisdictions)
  const values = query.groupBy.map((d) => publicValues(d, query, range, jurisdictions, catalog))
  const publicKeys = publicKeysOf(values)
  // Items and categories outside the catalog, and placements, are released only through partition
  // selection: a key one shopper made must not appear because of them. Days, weeks, levels and
  // jurisdictions are all public (the SQL maps everything else onto them).
  // A filter that lists the items (or categories) leaves nothing outside them to select.
  const selecting = query.groupBy.some(
    (d) =>
      d === 'placement' ||
      (d === 'item' && query.filters.items === undefined) ||
      (d === 'category' && query.filters.categories === undefined),
  )
  const field = query.field
  const plan: QueryPlan = {
    measure: query.measure,
    mechanism: query.mechanism,
    epsilon: query.epsilon,
    maxRowsPerGroup: asked.maxRowsPerGroup ?? limits.maxRowsPerGroup,
    // With every key public, one shopper can reach no more groups than there are keys: G is at most
    // that (grouped by week over four weeks, G = 4 rather than the charter's 60: 4x less noise).
    maxGroupsPerSubject: Math.min(
      asked.maxGroupsPerSubject ?? limits.maxGroupsPerSubject,
      !selecting && publicKeys !== null ? Math.max(1, publicKeys.length) : Infinity,
    ),
    groupBy: query.groupBy,
    publicKeys,
    selectionDelta: selecting ? settings.delta : 0,
    delta: settings.delta,
    ...(valued && field !== undefined
      ? {
          bounds: [...settings.bounds[field]] as [number, number],
          // Prices count in cents: rounding each shopper's sum to whole units would move it by up to 0.5.
          resolution: field === 'price' ? 0.01 : 1,
        }
      : {}),
  }
  return { plan, ...range, jurisdictions }
}
