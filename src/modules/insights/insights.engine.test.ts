import { randomBytes } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it, vi } from 'vitest'
import { epsilonForRho, upperTail } from './insights.dp.accounting.js'
import { cryptoRng, seededRng, type UniformRng } from './insights.dp.samplers.js'
import {
  boundContributions,
  groupKeyId,
  queryCost,
  release,
  selectionThreshold,
  sensitivity,
  type BoundedGroup,
  type OwnerGroupRow,
  type QueryPlan,
} from './insights.engine.js'
import { MEASURES, type Measure } from './insights.js'

function planOf(overrides: Partial<QueryPlan> = {}): QueryPlan {
  return {
    measure: 'events',
    mechanism: 'gaussian',
    epsilon: 1,
    maxRowsPerGroup: 4,
    maxGroupsPerSubject: 25,
    bounds: [0, 24],
    groupBy: ['item'],
    publicKeys: null,
    selectionDelta: 0,
    delta: 1e-6,
    ...overrides,
  }
}

function bounded(groups: [string, number, number, number][]): Map<string, BoundedGroup> {
  return new Map(
    groups.map(([item, count, sum, subjects]) => [
      groupKeyId([item]),
      { key: [item], count, sum, subjects },
    ]),
  )
}

/** The vector of true answers a measure releases, per group id (a mean's two halves both). */
function answers(
  groups: Map<string, BoundedGroup>,
  measure: Measure,
  stepsPerUnit = 1,
): Map<string, number[]> {
  const out = new Map<string, number[]>()
  for (const [id, bounded] of groups) {
    // Sums are counted in steps of the resolution; sensitivity is stated in the field's units.
    const g = { ...bounded, sum: bounded.sum / stepsPerUnit }
    out.set(
      id,
      measure === 'events'
        ? [g.count]
        : measure === 'subjects'
          ? [g.subjects]
          : measure === 'sum'
            ? [g.sum]
            : [g.sum, g.count],
    )
  }
  return out
}

describe('sensitivity', () => {
  it('is L*G and L*sqrt(G) for events, G and sqrt(G) for subjects, L*M*G for sums', () => {
    expect(sensitivity(planOf())).toEqual({ l1: 100, l2: 20 })
    expect(sensitivity(planOf({ measure: 'subjects' }))).toEqual({ l1: 25, l2: 5 })
    expect(sensitivity(planOf({ measure: 'sum', bounds: [-3, 2] }))).toEqual({ l1: 300, l2: 60 })
    expect(() => sensitivity(planOf({ measure: 'sum', bounds: undefined as never }))).toThrow(
      /bounds/,
    )
    expect(() => sensitivity(planOf({ maxRowsPerGroup: 0 }))).toThrow(/maxRowsPerGroup/)
    expect(() => sensitivity(planOf({ measure: 'sum', bounds: [5, 1] }))).toThrow(/bounds/)
  })
})

describe('contribution bounding', () => {
  const rowArb = (lo: number, hi: number, k: number): fc.Arbitrary<OwnerGroupRow> =>
    fc
      .record({
        owner: fc.constantFrom('a', 'b', 'c', 'd', 'e'),
        key: fc.tuple(
          fc.constantFrom('i1', 'i2', 'i3', 'i4', 'i5', 'i6'),
          fc.constantFrom('w1', 'w2'),
        ),
        values: fc.array(
          fc.integer({ min: lo * k, max: hi * k }).map((v) => v / k),
          { minLength: 1, maxLength: 12 },
        ),
      })
      .map(({ owner, key, values }) => ({
        owner,
        key,
        rows: values.length,
        clampedSum: values.reduce((s, v) => s + v, 0),
      }))

  it('removing one owner moves every measure by at most its declared L1 and L2 sensitivity', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<Measure>(...MEASURES),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 6 }),
        fc.tuple(fc.integer({ min: -5, max: 3 }), fc.integer({ min: 0, max: 9 })),
        fc.uint8Array({ minLength: 8, maxLength: 8 }),
        fc.constantFrom('a', 'b', 'c', 'd', 'e'),
        fc.nat(),
        fc.constantFrom(1, 0.1, 0.01),
        (measure, l, g, [lo, span], saltBytes, removed, seed, resolution) => {
          const bounds: [number, number] = [lo, lo + span]
          const k = Math.round(1 / resolution)
          const plan = planOf({
            measure,
            maxRowsPerGroup: l,
            maxGroupsPerSubject: g,
            bounds,
            resolution,
          })
          const rows = fc.sample(fc.array(rowArb(bounds[0], bounds[1], k), { maxLength: 40 }), {
            seed,
            numRuns: 1,
          })[0]!
          const salt = Buffer.from(saltBytes)
          const full = answers(boundContributions(rows, plan, salt), measure, k)
          const without = answers(
            boundContributions(
              rows.filter((r) => r.owner !== removed),
              plan,
              salt,
            ),
            measure,
            k,
          )
          const { l1, l2 } = sensitivity(plan)
          // A mean releases sum and count: each half is checked against its own sensitivity.
          const parts = measure === 'mean' ? 2 : 1
          for (let part = 0; part < parts; part++) {
            const sens = part === 1 ? sensitivity({ ...plan, measure: 'events' }) : { l1, l2 }
            let d1 = 0
            let d2 = 0
            for (const id of new Set([...full.keys(), ...without.keys()])) {
              const d = Math.abs((full.get(id)?.[part] ?? 0) - (without.get(id)?.[part] ?? 0))
              d1 += d
              d2 += d * d
            }
            expect(d1).toBeLessThanOrEqual(sens.l1 + 1e-9)
            expect(Math.sqrt(d2)).toBeLessThanOrEqual(sens.l2 + 1e-9)
          }
          // Groups the removed owner had no row in are untouched.
          const touched = new Set(
            rows.filter((r) => r.owner === removed).map((r) => groupKeyId(r.key)),
          )
          for (const [id, v] of without) if (!touched.has(id)) expect(full.get(id)).toEqual(v)
        },
      ),
      { numRuns: 300 },
    )
  })

  it('keeps at most L rows per group and G groups per owner, scaling a capped sum', () => {
    const plan = planOf({
      measure: 'sum',
      maxRowsPerGroup: 2,
      maxGroupsPerSubject: 2,
      bounds: [0, 10],
    })
    const rows: OwnerGroupRow[] = [
      { owner: 'a', key: ['x'], rows: 4, clampedSum: 20 }, // capped to 2 rows, sum 20 * 2/4 = 10
      { owner: 'a', key: ['y'], rows: 1, clampedSum: 7 },
      { owner: 'a', key: ['z'], rows: 1, clampedSum: 3 },
      { owner: 'b', key: ['x'], rows: 1, clampedSum: 9 },
    ]
    const out = boundContributions(rows, plan, Buffer.from('salt'))
    const ownerA = ['x', 'y', 'z'].filter((k) => {
      const g = out.get(groupKeyId([k]))
      return g && (k !== 'x' || g.subjects === 2)
    })
    expect(ownerA).toHaveLength(2)
    const x = out.get(groupKeyId(['x']))!
    if (x.subjects === 2) expect(x).toMatchObject({ count: 3, sum: 19 })
    else expect(x).toMatchObject({ count: 1, sum: 9, subjects: 1 })
    // The choice depends on the salt only through a keyed hash: same salt, same choice.
    expect(boundContributions(rows, plan, Buffer.from('salt'))).toEqual(out)
  })
})

describe('release', () => {
  it('releases every public key, empty ones too, and withholds unlisted keys without selection', () => {
    const plan = planOf({ publicKeys: [['i1'], ['i2'], ['i3']], selectionDelta: 0 })
    const out = release(
      bounded([
        ['i1', 500, 0, 200],
        ['secret', 900, 0, 400],
      ]),
      plan,
      cryptoRng(),
    )
    expect(out.cells.map((c) => c.group)).toEqual([{ item: 'i1' }, { item: 'i2' }, { item: 'i3' }])
    expect(out.suppressed).toBe(0)
    for (const cell of out.cells) {
      expect(cell.noiseScale).toBe(20) // sigma = L2 / sqrt(2 rho) = 20 at epsilon 1
      expect(cell.interval[0]).toBeLessThan(cell.value)
      expect(cell.interval[1]).toBeGreaterThan(cell.value)
    }
  })

  it('releases a one-subject non-public group no more often than selectionDelta / G', () => {
    // A large selectionDelta so the rate is measurable: per group at most 0.05 / 1.
    const plan = planOf({ maxGroupsPerSubject: 1, maxRowsPerGroup: 1, selectionDelta: 0.05 })
    const tau = selectionThreshold(plan)
    const sigma2 = 1 / (0.5 * 1) // G / (2 * rho/2) at epsilon 1
    const p = upperTail('gaussian', { num: BigInt(sigma2), den: 1n }, tau - 1)
    expect(p).toBeLessThanOrEqual(0.05)
    const rng = cryptoRng()
    const lonely = bounded([['only-one', 1, 0, 1]])
    const trials = 20_000
    let released = 0
    for (let i = 0; i < trials; i++) if (release(lonely, plan, rng).cells.length > 0) released++
    // Binomial(trials, p) exceeds trials*0.05 + 5 sd with probability below 1e-6.
    expect(released).toBeLessThanOrEqual(trials * 0.05 + 5 * Math.sqrt(trials * 0.05 * 0.95))
    expect(Math.abs(released - trials * p)).toBeLessThan(5 * Math.sqrt(trials * p * (1 - p)) + 1)
  })

  it('at a realistic delta a one-subject group is essentially never released, a crowded one always', () => {
    const plan = planOf({ selectionDelta: 1e-6 })
    expect(selectionThreshold(plan)).toBeGreaterThan(10)
    const rng = cryptoRng()
    let lonely = 0
    let crowded = 0
    for (let i = 0; i < 2000; i++) {
      const out = release(
        bounded([
          ['one', 4, 0, 1],
          ['many', 4000, 0, 1000],
        ]),
        plan,
        rng,
      )
      for (const c of out.cells) {
        if (c.group['item'] === 'one') lonely++
        else crowded++
      }
    }
    expect(lonely).toBe(0)
    expect(crowded).toBe(2000)
  })

  it('costs rho = eps^2/2, shown as (epsilon, delta); selection adds its delta', () => {
    expect(queryCost(planOf({ mechanism: 'laplace', epsilon: 0.5 }))).toEqual({
      rho: 0.125,
      epsilon: 0.5,
      delta: 0,
    })
    const gauss = queryCost(planOf({ epsilon: 1, selectionDelta: 1e-7 }))
    expect(gauss.rho).toBe(0.5)
    expect(gauss.epsilon).toBeCloseTo(epsilonForRho(0.5, 1e-6), 12)
    expect(gauss.delta).toBeCloseTo(1.1e-6, 15)
  })

  it('95% intervals cover the true value about 95% of the time', () => {
    const rng = cryptoRng()
    for (const mechanism of ['gaussian', 'laplace'] as const) {
      const keys = Array.from({ length: 4000 }, (_, i) => [`k${i}`])
      const plan = planOf({ mechanism, publicKeys: keys })
      const out = release(new Map(), plan, rng)
      const covered = out.cells.filter((c) => c.interval[0] <= 0 && 0 <= c.interval[1]).length
      // Coverage is >= 0.95 by construction (a bit more: the noise is discrete); 4000 cells put
      // the observed rate within 0.02 of it except with probability below 1e-4.
      expect(covered / keys.length).toBeGreaterThan(0.93)
    }
  })

  it('counts sums in steps of the resolution: prices of 0.85 do not count as 1', () => {
    const rows: OwnerGroupRow[] = Array.from({ length: 2000 }, (_, i) => ({
      owner: `o${i}`,
      key: ['a'],
      rows: 2,
      clampedSum: 1.7,
    }))
    const plan = planOf({
      measure: 'mean',
      bounds: [0, 2],
      resolution: 0.01,
      maxRowsPerGroup: 2,
      maxGroupsPerSubject: 1,
      publicKeys: [['a']],
    })
    const groups = boundContributions(rows, plan, Buffer.from('s'))
    expect(groups.get(groupKeyId(['a']))).toMatchObject({ count: 4000, sum: 340_000 })
    const [cell] = release(groups, plan, cryptoRng()).cells
    expect(cell!.value).toBeGreaterThan(0.8)
    expect(cell!.value).toBeLessThan(0.9)
    // In the field's units: L * M * G = 2 * 2 * 1 (M = 200 steps of 0.01).
    expect(sensitivity({ ...plan, measure: 'sum' })).toEqual({ l1: 4, l2: 4 })
    expect(() => sensitivity({ ...plan, resolution: 0.3 })).toThrow(/resolution/)
  })

  it('a mean stays inside the bounds and its interval holds the true mean', () => {
    const plan = planOf({ measure: 'mean', bounds: [0, 10], publicKeys: [['a'], ['empty']] })
    const out = release(bounded([['a', 4000, 20_000, 1000]]), plan, cryptoRng())
    const [a, empty] = out.cells
    expect(a!.value).toBeGreaterThan(4)
    expect(a!.value).toBeLessThan(6)
    expect(a!.interval[0]).toBeLessThanOrEqual(5)
    expect(a!.interval[1]).toBeGreaterThanOrEqual(5)
    expect(empty!.value).toBeGreaterThanOrEqual(0)
    expect(empty!.value).toBeLessThanOrEqual(10)
  })

  it('the rng is the only randomness: a seeded rng gives the same answer, Math.random is unused', () => {
    const spy = vi.spyOn(Math, 'random')
    const plan = planOf({ publicKeys: [['i1'], ['i2']], selectionDelta: 1e-6 })
    const data = bounded([
      ['i1', 40, 0, 10],
      ['x', 9000, 0, 3000],
    ])
    let draws = 0
    const counting = (): UniformRng => {
      const inner = seededRng('release')
      return { uniformBelow: (n) => (draws++, inner.uniformBelow(n)) }
    }
    const a = release(data, plan, counting())
    const first = draws
    draws = 0
    const b = release(data, plan, counting())
    expect(b).toEqual(a)
    expect(draws).toBe(first)
    expect(first).toBeGreaterThan(0)
    expect(a.cells).toHaveLength(3)
    expect(release(data, plan, seededRng('other')).cells.map((c) => c.value)).not.toEqual(
      a.cells.map((c) => c.value),
    )
    expect(spy).not.toHaveBeenCalled()
    spy.mockRestore()
  })

  it('bounding uses no randomness: the same salt gives the same bounded groups', () => {
    const rows: OwnerGroupRow[] = Array.from({ length: 200 }, (_, i) => ({
      owner: `o${i % 7}`,
      key: [`k${i % 30}`],
      rows: 1 + (i % 5),
      clampedSum: i % 11,
    }))
    const plan = planOf({ maxGroupsPerSubject: 3 })
    const salt = randomBytes(16)
    expect(boundContributions(rows, plan, salt)).toEqual(boundContributions(rows, plan, salt))
  })
})
