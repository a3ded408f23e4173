import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { rowHeading } from '../web/src/row-heading.js'

const KINDS = ['bought_together', 'similar_to_viewed', 'buy_again', 'popular', 'new', 'trending']
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

describe('the demo shop’s row headings', () => {
  it('names a row by what its items are', () => {
    const together = answer('personal', [
      ['bought_together', 'Bags'],
      ['bought_together', 'Christmas'],
    ])
    expect(rowHeading(together, { placement: 'product', product })).toBe(
      'Bought together with this product',
    )
    const popular = answer('off', [
      ['popular', 'Bags'],
      ['trending', 'Bags'],
    ])
    expect(rowHeading(popular, { placement: 'category', category: 'Bags' })).toBe('Popular in Bags')
    // Popular, but not all from the category on the page: not "Popular in ...".
    const mixed = answer('off', [
      ['popular', 'Bags'],
      ['popular', 'Christmas'],
    ])
    expect(rowHeading(mixed, { placement: 'category', category: 'Bags' })).toBe('Popular right now')
    const visit = answer('session', [
      ['similar_to_viewed', 'Bags'],
      ['popular', 'Bags'],
    ])
    expect(rowHeading(visit, { placement: 'cart' })).toBe('Based on this visit')
    // Not personal, not all popular: no claim of either.
    const offMixed = answer('off', [
      ['bought_together', 'Bags'],
      ['popular', 'Bags'],
    ])
    expect(rowHeading(offMixed, { placement: 'product', product })).toBe(
      'Suggestions for this product',
    )
  })

  it('never claims a reason or a category that one of the items does not have', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('off' as const, 'session' as const, 'personal' as const),
        fc.array(fc.tuple(fc.constantFrom(...KINDS), fc.constantFrom(...CATEGORIES)), {
          maxLength: 8,
        }),
        fc.constantFrom(...CATEGORIES),
        fc.boolean(),
        (level, items, category, onProduct) => {
          const heading = rowHeading(
            answer(level, items),
            onProduct ? { placement: 'product', product } : { placement: 'category', category },
          )
          if (heading?.startsWith('Bought together'))
            expect(items.every(([k]) => k === 'bought_together')).toBe(true)
          if (heading?.startsWith('Popular in ')) {
            expect(heading).toBe(`Popular in ${category}`)
            expect(items.every(([, c]) => c === category)).toBe(true)
          }
          if (heading?.startsWith('Popular'))
            expect(items.every(([k]) => ['popular', 'new', 'trending'].includes(k))).toBe(true)
          if (items.length === 0) expect(heading).toBeUndefined()
          if (heading === 'Picked for you') expect(level).toBe('personal')
          if (heading === 'Based on this visit') expect(level).toBe('session')
        },
      ),
    )
  })
})
