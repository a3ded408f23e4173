import { describe, expect, it } from 'vitest'
import { productPictureUrl, productSvg } from '../web/src/product-picture.js'

const heart = {
  id: '85123A',
  title: 'White Hanging Heart T-light Holder',
  category: 'lights',
  price: 2.95,
  currency: 'GBP',
}
const bag = { ...heart, id: '85099B', title: 'Jumbo Bag Red Retrospot', category: 'bags' }

describe('the demo shop’s drawn product pictures', () => {
  it('draws the same picture for the same product, and another for another', () => {
    expect(productSvg({ ...heart })).toBe(productSvg(heart))
    expect(productSvg(bag)).not.toBe(productSvg(heart))
    // Only the category and the title count (not the id or the price).
    expect(productSvg({ ...heart, id: 'other', price: 9 })).toBe(productSvg(heart))
    expect(productSvg({ ...heart, category: 'home' })).not.toBe(productSvg(heart))
  })

  it('is a self-contained SVG that names nothing outside itself', () => {
    for (const product of [heart, bag, { ...heart, title: 'Unknown <thing> & "more"' }]) {
      const svg = productSvg(product)
      expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true)
      expect(svg.endsWith('</svg>')).toBe(true)
      // No title text (nothing to escape), no links, no scripts.
      expect(svg).not.toMatch(/href|<script|<text|<image|url\(/i)
      expect(productPictureUrl(product)).toBe(`data:image/svg+xml,${encodeURIComponent(svg)}`)
    }
  })

  it('takes the object and colour from the title', () => {
    // A red bag: the bag's handle path and the title's colour.
    expect(productSvg(bag)).toContain('fill="#c0392b"')
    expect(productSvg(bag)).toContain('M66 46 C66 26 94 26 94 46')
    // A white heart.
    expect(productSvg(heart)).toContain('fill="#fbfbf8"')
    expect(productSvg(heart)).toContain('C40 72 42 40 62 38')
  })
})
