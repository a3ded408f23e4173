import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { REASON_KINDS } from '../src/modules/recommend/engine/scoring.js'
import { rowHeadingFor } from '../sdk/src/row-heading.js'
import { rowHeading } from '../web/src/row-heading.js'

const CATEGORIES = ['Kitchen and dining', 'Bags', 'Christmas']
const product = {
  id: '85123A',
  title: 'White Hanging Heart T-light Holder',
  category: 'lights',
  price: 2.95,
  currency: 'GBP',
}

function answer(level: 'off' | 'session' | 'personal', items: [string, string][]) {
  return {
    level,
    items: items.map(([kind, category], i) => ({
      id: `i${i}`,
      title: `Item ${i}`,
      category: [category],
      explanation: { kind, evidence: [], sentence: '' },
    })),
  }
}

describe('row headings (the SDK’s and the demo shop’s)', () => {
  it('names a row by what its items are', () => {
    const withItem = answer('off', [
      ['bought_with_item', 'Bags'],
      ['bought_with_item', 'Christmas'],
    ])
    expect(rowHeading(withItem, { placement: 'product', product })).toBe(
      'Often bought with this product',
    )
    const together = answer('personal', [
      ['bought_together', 'Bags'],
      ['bought_together', 'Christmas'],
    ])
    expect(rowHeading(together, { placement: 'home' })).toBe('Often bought with your items')
    const popular = answer('off', [
      ['popular', 'Bags'],
      ['trending', 'Bags'],
    ])
    expect(rowHeading(popular, { placement: 'category', category: 'Bags' })).toBe('Popular in Bags')
    // Popular, but not all from the category on the page: not "Popular in ...", and never "right now"
    // (a popular item may be chosen by all-time popularity).
    const mixed = answer('off', [
      ['popular', 'Bags'],
      ['popular', 'Christmas'],
    ])
    expect(rowHeading(mixed, { placement: 'category', category: 'Bags' })).toBe(
      'Popular with shoppers',
    )
    // The off level's usual mix: popular, trending and new.
    const offHome = answer('off', [
      ['popular', 'Bags'],
      ['trending', 'Christmas'],
      ['new', 'Bags'],
    ])
    expect(rowHeading(offHome, { placement: 'home' })).toBe('Popular and new')
    expect(rowHeading(answer('off', [['new', 'Bags']]), { placement: 'home' })).toBe(
      'New in the shop',
    )
    const visit = answer('session', [
      ['similar_to_viewed', 'Bags'],
      ['popular', 'Bags'],
    ])
    expect(rowHeading(visit, { placement: 'cart' })).toBe('Based on this visit')
    const personal = answer('personal', [
      ['looked_at', 'Bags'],
      ['new_in_category', 'Bags'],
    ])
    expect(rowHeading(personal, { placement: 'category', category: 'Bags' })).toBe('Picked for you')
    // Not personal, not all popular: no claim of either.
    const offMixed = answer('off', [
      ['bought_with_item', 'Bags'],
      ['popular', 'Bags'],
    ])
    expect(rowHeading(offMixed, { placement: 'product', product })).toBe(
      'Suggestions for this product',
    )
    expect(rowHeadingFor(offMixed)).toBe('Suggestions')
  })

  it('never claims a reason, a time or a category that one of the items does not have', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('off' as const, 'session' as const, 'personal' as const),
        fc.array(fc.tuple(fc.constantFrom(...REASON_KINDS), fc.constantFrom(...CATEGORIES)), {
          maxLength: 8,
        }),
        fc.constantFrom(...CATEGORIES),
        fc.boolean(),
        (level, items, category, onProduct) => {
          const heading = rowHeading(
            answer(level, items),
            onProduct ? { placement: 'product', product } : { placement: 'category', category },
          )
          const kinds = items.map(([k]) => k)
          const all = (allowed: string[]) => kinds.every((k) => allowed.includes(k))
          if (items.length === 0) expect(heading).toBeUndefined()
          else expect(heading).toBeDefined()
          expect(heading ?? '').not.toMatch(/right now|lately|today/i)
          if (heading?.startsWith('Popular and new'))
            expect(all(['popular', 'trending', 'new'])).toBe(true)
          else if (heading?.startsWith('Popular')) expect(all(['popular', 'trending'])).toBe(true)
          if (heading?.startsWith('New')) expect(all(['new'])).toBe(true)
          const within = / in (.+)$/.exec(heading ?? '')?.[1]
          if (within !== undefined && within !== 'the shop') {
            expect(within).toBe(category)
            expect(onProduct).toBe(false)
            expect(items.every(([, c]) => c === category)).toBe(true)
          }
          if (heading === 'Often bought with this product') {
            expect(all(['bought_with_item'])).toBe(true)
            expect(onProduct).toBe(true)
          }
          if (heading === 'Often bought with your items')
            expect(all(['bought_together'])).toBe(true)
          if (heading === 'Picked for you') expect(level).toBe('personal')
          if (heading === 'Based on this visit') expect(level).toBe('session')
          if (heading === 'Suggestions for this product') expect(onProduct).toBe(true)
        },
      ),
    )
  })
})
