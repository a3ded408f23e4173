/**
 * The SQL that reads events for statistics. It reads ONLY events stored for a purpose whose charter
 * entry has `aggregateAnalytics` (the caller passes those purposes; an event kept for any other purpose
 * alone is never read), still unexpired, and hands the engine one row per (owner, group): how many of
 * the owner's rows fall in the group and the sum of their values clamped to the charter's bounds. The
 * database does the grouping and the clamping, so what crosses into JavaScript is one row per owner
 * and group, not per event.
 *
 * Group keys: `item`; `category`, the top level of the item's `catalog_items.category_path`
 * (`unknown` when the item is not in the catalog); `day` (`YYYY-MM-DD`, UTC) and `week` (ISO,
 * `YYYY-Www`) of the event's time; `placement` (`none` when it has none); `level`, the answer's level in
 * `recommend_answers` by `recomm_id` (`none` when it cites no answer still logged); `jurisdiction`, the
 * subject's (`subject_settings`: a declared code, `default` for an undeclared one, `unknown` when not
 * known, as for anonymous visits).
 *
 * Speed (UCI's 400 k purchases on SQLite): the cost is the sort of GROUP BY (owner, key), so keys are
 * cheap expressions: a week is grouped as its days and mapped to ISO weeks here (the engine merges
 * rows of one owner and group). A range of at most `INDEXED_DAYS` is written on the expression of the
 * `events_happened_hour` index (`substr(coalesce(occurred_at, received_at), 1, 13)`), so it reads
 * only its rows; a wider one is written so that no index matches: walking the index over most of
 * the table and fetching each row from it took several times as long as one scan.
 */
import { type RawBuilder, sql } from 'kysely'
import { type Db, dialectOf } from '../../storage/db.js'
import { type BoundedGroup, type OwnerGroupRow, groupKeyId } from './insights.engine.js'
import type { Dimension, ValueField } from './insights.js'
import { isoWeek } from './insights.plan.js'

/** Ranges up to this many days read through the time index; longer ones scan. */
const INDEXED_DAYS = 31

/** What one read selects; every value here is validated by the service first. */
export interface EventsSelection {
  /** Purposes with aggregateAnalytics: an event counts when it was stored for one of them. */
  purposes: readonly string[]
  groupBy: readonly Dimension[]
  /** The value a sum or mean adds up, clamped to `bounds`; none for counts. */
  value?: { field: ValueField; bounds: readonly [number, number] }
  /** Inclusive days, `YYYY-MM-DD`. */
  from: string
  to: string
  types?: readonly string[]
  items?: readonly string[]
  categories?: readonly string[]
  /** The jurisdiction codes the charter declares (others read as `default`). */
  jurisdictions: readonly string[]
  /** Only owners matched by this clean-room upload (`cleanroom_matches`). */
  uploadId?: string
  /** Unexpired at this instant. */
  now: string
}

const HAPPENED_HOUR = sql`substr(coalesce(e.occurred_at, e.received_at), 1, 13)`

/** LIKE pattern for `,purpose,` in the events' comma-framed purpose list, `_` and `%` escaped. */
function purposePattern(purpose: string): string {
  return `%,${purpose.replace(/[\\%_]/g, (c) => `\\${c}`)},%`
}

function keyExpression(dimension: Dimension, postgres: boolean, jurisdictions: readonly string[]) {
  const happenedDay = sql`substr(coalesce(e.occurred_at, e.received_at), 1, 10)`
  switch (dimension) {
    case 'item':
      return sql`e.item`
    case 'category':
      return postgres
        ? sql`coalesce(cast(c.category_path as json) ->> 0, 'unknown')`
        : sql`coalesce(json_extract(c.category_path, '$[0]'), 'unknown')`
    case 'day':
    case 'week': // its days; mapped to weeks by `ownerGroups`
      return happenedDay
    case 'placement':
      return sql`coalesce(e.placement, 'none')`
    case 'level':
      return sql`coalesce(a.level, 'none')`
    case 'jurisdiction':
      return jurisdictions.length === 0
        ? sql`case when s.jurisdiction is null then 'unknown' else 'default' end`
        : sql`case when s.jurisdiction is null then 'unknown'
            when s.jurisdiction in (${sql.join(jurisdictions.map((j) => sql.lit(j)))}) then s.jurisdiction
            else 'default' end`
  }
}

function clampedValue(selection: EventsSelection, postgres: boolean): RawBuilder<unknown> {
  if (selection.value === undefined) return sql`0`
  const column = selection.value.field === 'quantity' ? sql`e.quantity` : sql`e.price`
  const [low, high] = selection.value.bounds
  return postgres
    ? sql`least(greatest(${column}, ${sql.lit(low)}), ${sql.lit(high)})`
    : sql`min(max(${column}, ${sql.lit(low)}), ${sql.lit(high)})`
}

/** The WHERE conditions: aggregate-analytics purposes only, unexpired, the days, types, items and categories. */
function filtersOf(selection: EventsSelection, postgres: boolean) {
  const { groupBy } = selection
  const where = [
    sql`(${sql.join(
      // Literal patterns (charter keys: lower-case words, digits, `_` and dots): with a bound
      // parameter SQLite's planner walked the primary key instead of scanning, 5 times slower.
      selection.purposes.map((p) => sql`e.purposes like ${sql.lit(purposePattern(p))} escape '\\'`),
      sql` or `,
    )})`,
    sql`e.expires_at > ${selection.now}`,
  ]
  const days = (Date.parse(selection.to) - Date.parse(selection.from)) / 86_400_000 + 1
  if (days <= INDEXED_DAYS) {
    where.push(
      sql`${HAPPENED_HOUR} >= ${`${selection.from}T00`}`,
      sql`${HAPPENED_HOUR} <= ${`${selection.to}T23`}`,
    )
  } else {
    where.push(
      sql`substr(coalesce(e.occurred_at, e.received_at), 1, 10) between ${selection.from} and ${selection.to}`,
    )
  }
  if (selection.types !== undefined) {
    where.push(sql`e.type in (${sql.join(selection.types.map((t) => sql`${t}`))})`)
  }
  if (selection.items !== undefined) {
    where.push(sql`e.item in (${sql.join(selection.items.map((i) => sql`${i}`))})`)
  }
  if (selection.categories !== undefined) {
    const top = keyExpression('category', postgres, [])
    where.push(sql`${top} in (${sql.join(selection.categories.map((c) => sql`${c}`))})`)
  }
  if (groupBy.includes('item') || groupBy.includes('category')) {
    where.push(sql`e.item is not null`)
  }
  if (selection.value !== undefined) {
    where.push(
      selection.value.field === 'quantity' ? sql`e.quantity is not null` : sql`e.price is not null`,
    )
  }
  return where
}

/** The contribution bounds {@link InsightsRepository.boundedGroups} applies, in the engine's terms. */
export interface SqlBounds {
  /** L: rows one owner may add to one group. */
  maxRowsPerGroup: number
  /** G: groups one owner may add to. */
  maxGroupsPerSubject: number
  /** Steps per unit of the value (1 / resolution) and the bounds in steps (the engine's stepBounds). */
  steps: number
  stepBounds: readonly [number, number]
  /** Hex; ranks the groups of an owner with more than G (a new one per query). */
  salt: string
}

/** `YYYY-MM-DD` to its ISO week `YYYY-Www`, as {@link isoWeek} does. */
function weekOfDay(day: RawBuilder<unknown>, postgres: boolean): RawBuilder<unknown> {
  return postgres
    ? sql`to_char(cast(${day} as date), 'IYYY-"W"IW')`
    : sql`strftime('%G-W%V', ${day})`
}

/**
 * One owner's rows and clamped sum in one group, bounded as `boundContributions` bounds them: at
 * most L rows, the sum scaled by L/rows when capped, in steps, rounded half up, within L*bounds.
 */
function boundedColumns(bounds: SqlBounds, postgres: boolean) {
  const l = sql.lit(bounds.maxRowsPerGroup)
  const k = sql.lit(bounds.steps)
  const [lo, hi] = bounds.stepBounds
  const least = postgres ? sql`least` : sql`min`
  const greatest = postgres ? sql`greatest` : sql`max`
  const real = postgres ? sql`double precision` : sql`real`
  const count = sql`${least}(n, ${l})`
  const scaled = sql`(case when n > ${l} then (cast(v as ${real}) * ${l}) / n else cast(v as ${real}) end) * ${k}`
  const sum = sql`${least}(${count} * ${sql.lit(hi)}, ${greatest}(${count} * ${sql.lit(lo)}, floor(${scaled} + 0.5)))`
  return { count, sum }
}

/** The tables a selection's keys and filters need beside `events`. */
function joinsOf(selection: EventsSelection): RawBuilder<unknown>[] {
  const { groupBy } = selection
  const needsCatalog = groupBy.includes('category') || selection.categories !== undefined
  return [
    needsCatalog ? sql`left join catalog_items c on c.item_id = e.item` : sql``,
    groupBy.includes('level')
      ? sql`left join recommend_answers a on a.recomm_id = e.recomm_id`
      : sql``,
    groupBy.includes('jurisdiction')
      ? sql`left join subject_settings s on s.subject_id = e.owner`
      : sql``,
    selection.uploadId === undefined
      ? sql``
      : sql`join cleanroom_matches m on m.subject_id = e.owner and m.upload_id = ${selection.uploadId}`,
  ]
}

export function createInsightsRepository() {
  return {
    /** One row per (owner, group) of the selected events; see the file header. */
    async ownerGroups(db: Db, selection: EventsSelection): Promise<OwnerGroupRow[]> {
      const postgres = dialectOf(db) === 'postgres'
      const { groupBy } = selection
      const keys = groupBy.map(
        (d, i) => sql`${keyExpression(d, postgres, selection.jurisdictions)} as ${sql.id(`k${i}`)}`,
      )
      const joins = joinsOf(selection)
      const where = filtersOf(selection, postgres)
      const grouping = [sql`e.owner`, ...groupBy.map((_, i) => sql.id(`k${i}`))]
      const { rows } = await sql<Record<string, unknown>>`
        select e.owner as owner, ${sql.join([...keys, sql`count(*) as n`, sql`sum(${clampedValue(selection, postgres)}) as v`])}
        from events e ${sql.join(joins, sql` `)}
        where ${sql.join(where, sql` and `)}
        group by ${sql.join(grouping)}`.execute(db)
      const weeks = new Map<string, string>()
      const weekOf = (day: string) => {
        let week = weeks.get(day)
        if (week === undefined) weeks.set(day, (week = isoWeek(day)))
        return week
      }
      return rows.map((row) => ({
        owner: String(row['owner']),
        key: groupBy.map((d, i) => {
          const value = String((row[`k${i}`] as string | number | null) ?? '')
          return d === 'week' ? weekOf(value) : value
        }),
        rows: Number(row['n']),
        clampedSum: Number(row['v'] ?? 0),
      }))
    },

    /**
     * The groups of the selected events with each owner's part already bounded, all in SQL: what
     * `boundContributions(ownerGroups(...), plan, salt)` answers, without a row per owner and group
     * crossing into JavaScript (on UCI's item x week read, 77,724 of them against 4,754 groups).
     * An owner with more than G groups keeps the G of smallest rank: on SQLite the engine's own rank
     * (`candor_group_rank`, the same groups as the engine keeps), on PostgreSQL the md5 of the salt,
     * owner and key (another choice by the owner's own rows alone, so the same bounds hold).
     */
    async boundedGroups(
      db: Db,
      selection: EventsSelection,
      bounds: SqlBounds,
    ): Promise<Map<string, BoundedGroup>> {
      const postgres = dialectOf(db) === 'postgres'
      const { groupBy } = selection
      const ks = groupBy.map((_, i) => sql.id(`k${i}`))
      const keys = groupBy.map(
        (d, i) => sql`${keyExpression(d, postgres, selection.jurisdictions)} as ${ks[i]!}`,
      )
      const where = filtersOf(selection, postgres)
      const g = sql.lit(bounds.maxGroupsPerSubject)
      // A week is read as its days (a cheap key to group by), then the days' rows become weeks.
      const weeks = groupBy.includes('week')
        ? sql`, ow as (select owner, ${sql.join(
            groupBy.map((d, i) =>
              d === 'week' ? sql`${weekOfDay(sql.ref(`k${i}`), postgres)} as ${ks[i]!}` : ks[i]!,
            ),
          )}, sum(n) as n, sum(v) as v from og group by ${sql.join(
            // By position: a name would be og's day on PostgreSQL, where input columns come first.
            ks.map((_, i) => sql.lit(i + 2)),
            sql`, `,
          )}, 1)`
        : sql``
      const source = groupBy.includes('week') ? sql`ow` : sql`og`
      const rank = postgres
        ? sql`md5(concat_ws(chr(31), cast(${bounds.salt} as text), owner, ${sql.join(ks.length > 0 ? ks : [sql`''`])}))`
        : sql`candor_group_rank(${bounds.salt}, owner${ks.length > 0 ? sql`, ${sql.join(ks)}` : sql``})`
      const none = postgres ? sql`''` : sql`0`
      const { count, sum } = boundedColumns(bounds, postgres)
      const selected = ks.length > 0 ? sql`${sql.join(ks)}, ` : sql``
      const { rows } = await sql<Record<string, unknown>>`
        with og as (
          select e.owner as owner, ${sql.join([...keys, sql`count(*) as n`, sql`sum(${clampedValue(selection, postgres)}) as v`])}
          from events e ${sql.join(joinsOf(selection), sql` `)}
          where ${sql.join(where, sql` and `)}
          group by ${sql.join([sql`e.owner`, ...ks])}
        )${weeks},
        counted as (select *, count(*) over (partition by owner) as g from ${source}),
        ranked as (
          select *, row_number() over (
            partition by owner order by case when g > ${g} then ${rank} else ${none} end
          ) as r
          from counted
        )
        select ${selected}sum(${count}) as count, sum(${sum}) as total, count(*) as subjects
        from ranked where r <= ${g}
        ${ks.length > 0 ? sql`group by ${sql.join(ks)}` : sql``}`.execute(db)
      const out = new Map<string, BoundedGroup>()
      for (const row of rows) {
        const subjects = Number(row['subjects'])
        if (!(subjects > 0)) continue
        const key = groupBy.map((_, i) => String((row[`k${i}`] as string | number | null) ?? ''))
        out.set(groupKeyId(key), {
          key,
          count: Number(row['count']),
          sum: Number(row['total'] ?? 0),
          subjects,
        })
      }
      return out
    },

    /** One row per owner matched by a clean-room upload (its overlap), with no event read. */
    async populationOwners(db: Db, uploadId: string): Promise<OwnerGroupRow[]> {
      const { rows } = await sql<{ owner: string }>`
        select subject_id as owner from cleanroom_matches where upload_id = ${uploadId}`.execute(db)
      return rows.map((r) => ({ owner: r.owner, key: [], rows: 1, clampedSum: 0 }))
    },

    /** The catalog's items and the top level of each one's category: the public item and category keys. */
    async catalogKeys(db: Db): Promise<{ items: string[]; categories: string[] }> {
      const { rows } = await sql<{ item_id: string; category_path: string }>`
        select item_id, category_path from catalog_items order by item_id`.execute(db)
      const categories = new Set<string>()
      for (const row of rows) {
        const path = JSON.parse(row.category_path) as unknown
        if (Array.isArray(path) && typeof path[0] === 'string') categories.add(path[0])
      }
      return { items: rows.map((r) => r.item_id), categories: [...categories].sort() }
    },
  }
}

export type InsightsRepository = ReturnType<typeof createInsightsRepository>
