import { randomBytes } from 'node:crypto'
import fc from 'fast-check'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Dimension } from '../src/modules/insights/insights.js'
import {
  type BoundedGroup,
  type QueryPlan,
  boundContributions,
  sensitivity,
} from '../src/modules/insights/insights.engine.js'
import {
  type EventsSelection,
  createInsightsRepository,
} from '../src/modules/insights/insights.repository.js'
import { DIALECTS, type TestContext, createTestContext } from './helpers/test-context.js'

/**
 * Issue 19, speed: an analyst's query bounds each shopper's part in SQL (`boundedGroups`: at most L
 * rows per group, G groups per shopper, clamped and scaled sums) instead of handing every (shopper,
 * group) row to the engine. On both databases, for random events: the groups equal the engine's
 * `boundContributions` over `ownerGroups` (on SQLite always, the same shoppers' groups kept by the
 * same rank; on PostgreSQL whenever no shopper has more than G groups, since its rank is md5's), and
 * removing one shopper moves the bounded answers by at most the declared sensitivity.
 */
const STATS = ',analytics.reporting,'
const OTHER = ',personalize.recommendations,'
const OWNERS = ['sub_a', 'sub_b', 'sub_c', 'sub_d', 'sub_e']
const ITEMS = ['MUG', 'TEA', 'CANDLE', 'SOAP']
// Ten days across an ISO week boundary (2026-02-23 is a Monday).
const DAYS = Array.from({ length: 10 }, (_, i) => `2026-02-${String(18 + i).padStart(2, '0')}`)
const GROUPINGS: Dimension[][] = [[], ['item'], ['week'], ['item', 'week'], ['day']]

interface Row {
  owner: string
  type: 'purchase' | 'view'
  item: string
  day: number
  quantity: number
  stats: boolean
}

const rowArb = fc.record({
  owner: fc.constantFrom(...OWNERS),
  type: fc.constantFrom<Row['type']>('purchase', 'purchase', 'view'),
  item: fc.constantFrom(...ITEMS),
  day: fc.integer({ min: 0, max: DAYS.length - 1 }),
  quantity: fc.integer({ min: 0, max: 40 }),
  stats: fc.integer({ min: 0, max: 9 }).map((n) => n > 0),
})

/** The counts, sums and shoppers per group, comparable with toEqual (no key arrays' order issue). */
function flat(groups: ReadonlyMap<string, BoundedGroup>) {
  return Object.fromEntries(
    [...groups].map(([id, g]) => [id, { count: g.count, sum: g.sum, subjects: g.subjects }]),
  )
}

for (const dialect of DIALECTS) {
  describe(`insights bounding in SQL on ${dialect}`, () => {
    let ctx: TestContext
    const repo = createInsightsRepository()
    beforeAll(async () => {
      ctx = await createTestContext(dialect)
    })
    afterAll(async () => {
      await ctx?.close()
    })

    async function store(rows: readonly Row[]): Promise<void> {
      const db = ctx.storage.db
      await sql`delete from events`.execute(db)
      for (const [n, r] of rows.entries()) {
        const at = `${DAYS[r.day]!}T10:00:00.000Z`
        await sql`insert into events (owner, event_id, type, item, quantity, occurred_at,
          received_at, purposes, expires_at, expiry_bucket)
          values (${r.owner}, ${`e-${n}`}, ${r.type}, ${r.item}, ${r.quantity}, ${at}, ${at},
          ${r.stats ? STATS : OTHER}, '2027-01-01T00:00:00.000Z', '2027-01')`.execute(db)
      }
    }

    function selectionOf(groupBy: Dimension[], summed: boolean): EventsSelection {
      return {
        purposes: ['analytics.reporting'],
        groupBy,
        ...(summed ? { value: { field: 'quantity' as const, bounds: [0, 24] as const } } : {}),
        from: DAYS[0]!,
        to: DAYS[DAYS.length - 1]!,
        types: ['purchase'],
        jurisdictions: [],
        now: ctx.clock.now().toISOString(),
      }
    }

    function planOf(groupBy: Dimension[], summed: boolean, l: number, g: number): QueryPlan {
      return {
        measure: summed ? 'sum' : 'events',
        mechanism: 'gaussian',
        epsilon: 1,
        maxRowsPerGroup: l,
        maxGroupsPerSubject: g,
        ...(summed ? { bounds: [0, 24] as [number, number] } : {}),
        groupBy,
        publicKeys: null,
        selectionDelta: 0,
        delta: 1e-6,
      }
    }

    async function inSql(sel: EventsSelection, plan: QueryPlan, salt: Buffer) {
      return repo.boundedGroups(ctx.storage.db, sel, {
        maxRowsPerGroup: plan.maxRowsPerGroup,
        maxGroupsPerSubject: plan.maxGroupsPerSubject,
        steps: 1,
        stepBounds: plan.bounds ?? [0, 0],
        salt: salt.toString('hex'),
      })
    }

    it('bounds as the engine does; removing one shopper moves answers by at most the sensitivity', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(rowArb, { maxLength: 45 }),
          fc.constantFrom(...GROUPINGS),
          fc.boolean(),
          fc.integer({ min: 1, max: 3 }),
          fc.integer({ min: 1, max: 4 }),
          fc.constantFrom(...OWNERS),
          async (rows, groupBy, summed, l, g, removed) => {
            const salt = randomBytes(16)
            const plan = planOf(groupBy, summed, l, g)
            const sel = selectionOf(groupBy, summed)
            await store(rows)
            const read = await repo.ownerGroups(ctx.storage.db, sel)
            const engine = boundContributions(read, plan, salt)
            const bounded = await inSql(sel, plan, salt)
            const groupsOf = new Map<string, number>()
            for (const r of read) groupsOf.set(r.owner, (groupsOf.get(r.owner) ?? 0) + 1)
            const someoneCapped = [...groupsOf.values()].some((n) => n > g)
            if (dialect === 'sqlite' || !someoneCapped) expect(flat(bounded)).toEqual(flat(engine))
            // Each shopper adds at most L rows and 1 shopper to a group, and only to G groups.
            for (const group of bounded.values()) {
              expect(group.count).toBeLessThanOrEqual(l * group.subjects)
              expect(group.sum).toBeLessThanOrEqual(24 * l * group.subjects)
            }

            await store(rows.filter((r) => r.owner !== removed))
            const without = await inSql(sel, plan, salt)
            const { l1, l2 } = sensitivity(plan)
            const ids = new Set([...bounded.keys(), ...without.keys()])
            const measure = (m: ReadonlyMap<string, BoundedGroup>, id: string) =>
              summed ? (m.get(id)?.sum ?? 0) : (m.get(id)?.count ?? 0)
            let d1 = 0
            let d2 = 0
            let changed = 0
            for (const id of ids) {
              const d = Math.abs(measure(bounded, id) - measure(without, id))
              d1 += d
              d2 += d * d
              if ((bounded.get(id)?.subjects ?? 0) !== (without.get(id)?.subjects ?? 0)) changed++
            }
            expect(d1).toBeLessThanOrEqual(l1 + 1e-9)
            expect(Math.sqrt(d2)).toBeLessThanOrEqual(l2 + 1e-9)
            expect(changed).toBeLessThanOrEqual(g)
          },
        ),
        { numRuns: 30 },
      )
    }, 120_000)

    it('counts UCI-like heavy shoppers: a shopper with more than G groups keeps exactly G', async () => {
      // One shopper buys every item on every day (4 items x 10 days = 40 groups by item and day).
      const rows: Row[] = []
      for (const item of ITEMS)
        for (let day = 0; day < DAYS.length; day++)
          rows.push({ owner: 'sub_a', type: 'purchase', item, day, quantity: 1, stats: true })
      await store(rows)
      const sel = selectionOf(['item', 'day'], false)
      const plan = planOf(['item', 'day'], false, 2, 7)
      const bounded = await inSql(sel, plan, randomBytes(16))
      expect(bounded.size).toBe(7)
      expect([...bounded.values()].every((b) => b.count === 1 && b.subjects === 1)).toBe(true)
      // A new salt keeps other groups (the choice is not always the alphabetically first).
      const kept = new Set<string>()
      for (let i = 0; i < 5; i++)
        for (const id of (await inSql(sel, plan, randomBytes(16))).keys()) kept.add(id)
      expect(kept.size).toBeGreaterThan(7)
    })
  })
}
