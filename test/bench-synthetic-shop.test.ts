import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadInteractionsCsv } from '../bench/lib/data.js'
import {
  findPreset,
  generateShop,
  SHOP_PRESETS,
  shopToCsv,
  type ShopSpec,
} from '../bench/synthetic-shop.js'

const tiny = findPreset('tiny')

/** Share of rows whose (customer, item) pair was bought before. */
function repeatShare(spec: ShopSpec): number {
  const shop = generateShop(spec)
  const pairs = new Set(shop.customers.map((c, e) => `${c}|${shop.items[e]}`))
  return 1 - pairs.size / shop.items.length
}

describe('synthetic shops', () => {
  it('has at least six presets with distinct names', () => {
    expect(SHOP_PRESETS.length).toBeGreaterThanOrEqual(6)
    expect(new Set(SHOP_PRESETS.map((p) => p.name)).size).toBe(SHOP_PRESETS.length)
  })

  it('gives the same rows for the same seed and other rows for another', () => {
    const a = generateShop(tiny)
    const b = generateShop(tiny)
    expect(b).toEqual(a)
    const c = generateShop({ ...tiny, seed: tiny.seed + 1 })
    expect(c.items).not.toEqual(a.items)
  })

  it('writes rows in time order; a basket is one customer at one time, items distinct', () => {
    const shop = generateShop(tiny)
    const start = Date.parse(`${tiny.start}T00:00:00Z`)
    const byBasket = new Map<string, { customer: string; time: number; items: Set<string> }>()
    shop.times.forEach((t, e) => {
      if (e > 0) expect(t).toBeGreaterThanOrEqual(shop.times[e - 1]!)
      expect(t).toBeGreaterThanOrEqual(start)
      expect(t).toBeLessThan(start + tiny.days * 86_400_000)
      const basket = byBasket.get(shop.baskets[e]!)
      if (!basket) {
        byBasket.set(shop.baskets[e]!, {
          customer: shop.customers[e]!,
          time: t,
          items: new Set([shop.items[e]!]),
        })
        return
      }
      expect(basket.customer).toBe(shop.customers[e])
      expect(basket.time).toBe(t)
      expect(basket.items.has(shop.items[e]!)).toBe(false)
      basket.items.add(shop.items[e]!)
    })
  })

  it('sells no item before its release: a shop whose whole catalog is new starts empty-handed', () => {
    // With every item released during the span, sales can only rise as the catalog fills.
    const shop = generateShop({ ...tiny, newItemShare: 1, noveltyBoost: 0 })
    const firstSale = new Map<string, number>()
    shop.items.forEach((i, e) => firstSale.has(i) || firstSale.set(i, shop.times[e]!))
    const start = Date.parse(`${tiny.start}T00:00:00Z`)
    const days = [...firstSale.values()].map((t) => (t - start) / 86_400_000)
    const earlyItems = days.filter((d) => d < tiny.days / 10).length
    expect(earlyItems).toBeLessThan(firstSale.size / 5)
  })

  it('follows the repeat-purchase knob', () => {
    const low = repeatShare({ ...tiny, repeatRate: 0.02 })
    const high = repeatShare({ ...tiny, repeatRate: 0.7 })
    expect(low).toBeLessThan(0.1)
    expect(high).toBeGreaterThan(0.4)
  })

  it('reads back from its CSV with the same rows and baskets', () => {
    const shop = generateShop(tiny)
    const dir = mkdtempSync(join(tmpdir(), 'candor-shop-'))
    try {
      const file = join(dir, 'tiny.csv')
      writeFileSync(file, shopToCsv(shop))
      expect(loadInteractionsCsv(file)).toEqual(shop)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
