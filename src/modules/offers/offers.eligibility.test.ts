import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DATA_LEVELS, type Offer } from './offers.js'
import {
  allows,
  best,
  dataNeeded,
  isRunning,
  judge,
  type ShopperFacts,
} from './offers.eligibility.js'

const item = (id: string, ...category: string[]) => ({ id, title: id, category })

const eligibility = fc.record(
  {
    categoryAffinity: fc.constantFrom<string[]>(['Kitchen'], ['Home'], ['Kitchen/Tea']),
    cartContains: fc.constantFrom<string[]>(['MUG'], ['CANDLE'], ['MUG', 'CANDLE']),
    customer: fc.constantFrom('new' as const, 'returning' as const),
    jurisdictions: fc.constantFrom<string[]>(['UK'], ['EU', 'UK'], ['US-CA']),
  },
  { requiredKeys: [] },
)

const offer = fc
  .record({
    id: fc.constantFrom('a', 'b', 'c', 'd'),
    eligibility,
    priority: fc.integer({ min: 0, max: 3 }),
    updatedAt: fc.constantFrom('2026-03-01T00:00:00.000Z', '2026-03-02T00:00:00.000Z'),
  })
  .map((o): Offer => ({
    ...o,
    content: { title: o.id },
    schedule: {},
    touchpoints: ['recommendations_widget'],
    purpose: 'personalize.recommendations',
    active: true,
    createdAt: o.updatedAt,
  }))

const facts = fc.record({
  allowed: fc.constantFrom(...DATA_LEVELS),
  granted: fc.boolean(),
  jurisdiction: fc.constantFrom('UK', 'EU', 'US-CA', 'default'),
  cart: fc.subarray([item('MUG', 'Kitchen'), item('CANDLE', 'Home')]),
  history: fc.subarray([item('TEA', 'Kitchen', 'Tea'), item('LAMP', 'Home')]),
  bought: fc.boolean(),
}) satisfies fc.Arbitrary<ShopperFacts>

describe('offer eligibility (properties)', () => {
  it('never picks an offer that reads more about the shopper than they allowed', () => {
    fc.assert(
      fc.property(offer, facts, (o, f) => {
        const verdict = judge(o, f)
        if (verdict !== undefined) expect(allows(f.allowed, dataNeeded(o.eligibility))).toBe(true)
        if (f.allowed === 'none' && verdict !== undefined) {
          expect(verdict.kind).toBe('for_everyone')
          expect(verdict.evidence).toEqual([])
        }
      }),
    )
  })

  it('reading less never makes an offer eligible that more would not (monotone in the facts)', () => {
    fc.assert(
      fc.property(offer, facts, (o, f) => {
        // The same shopper with nothing allowed: eligible only if eligible with what they allowed.
        const none = { ...f, allowed: 'none' as const, cart: [], history: [], bought: false }
        if (judge(o, none) !== undefined) expect(judge(o, f)).toBeDefined()
      }),
    )
  })

  it('evidence is always among the shopper facts, and best is the highest priority', () => {
    fc.assert(
      fc.property(fc.array(offer, { maxLength: 6 }), facts, (offers, f) => {
        const verdicts = offers.flatMap((o) => judge(o, f) ?? [])
        const known = new Set([...f.cart, ...f.history].map((i) => i.id))
        for (const v of verdicts) for (const e of v.evidence) expect(known.has(e.id)).toBe(true)
        const chosen = best(verdicts)
        if (chosen === undefined) expect(verdicts).toEqual([])
        else expect(chosen.offer.priority).toBe(Math.max(...verdicts.map((v) => v.offer.priority)))
      }),
    )
  })

  it('runs only while active, in its schedule, at its touchpoints', () => {
    const o: Offer = {
      id: 'x',
      content: { title: 'x' },
      eligibility: {},
      schedule: { from: '2026-03-01T00:00:00.000Z', until: '2026-03-08T00:00:00.000Z' },
      touchpoints: ['recommendations_widget'],
      purpose: 'personalize.recommendations',
      priority: 0,
      active: true,
      createdAt: '2026-03-01T00:00:00.000Z',
      updatedAt: '2026-03-01T00:00:00.000Z',
    }
    const at = (iso: string) => new Date(iso)
    expect(isRunning(o, 'recommendations_widget', at('2026-03-01T00:00:00Z'))).toBe(true)
    expect(isRunning(o, 'recommendations_widget', at('2026-02-28T23:59:59Z'))).toBe(false)
    expect(isRunning(o, 'recommendations_widget', at('2026-03-08T00:00:00Z'))).toBe(false)
    expect(isRunning(o, 'offers_email', at('2026-03-02T00:00:00Z'))).toBe(false)
    expect(
      isRunning({ ...o, active: false }, 'recommendations_widget', at('2026-03-02T00:00:00Z')),
    ).toBe(false)
  })
})
