/**
 * The demo shop's basket: item ids and quantities, per shopper, in this browser's localStorage. Keeping a
 * basket is part of running the shop (the charter's `essential.service`: "we remember your basket"), so it
 * needs no choice; what Candor learns from it is a separate matter, sent as `cart` events through the SDK
 * only when the shopper's choices allow (see `addToBasket` in shop.tsx).
 */
import { useEffect, useState } from 'preact/hooks'

export interface BasketLine {
  id: string
  quantity: number
}

const PREFIX = 'candor-demo.basket.'
const MAX_QUANTITY = 99
const listeners = new Set<() => void>()

function keyOf(ref: string): string {
  return PREFIX + ref
}

export function readBasket(ref: string): BasketLine[] {
  try {
    const parsed = JSON.parse(localStorage.getItem(keyOf(ref)) ?? '[]') as unknown
    if (!Array.isArray(parsed)) return []
    return parsed.filter(
      (l): l is BasketLine =>
        typeof (l as BasketLine).id === 'string' &&
        Number.isInteger((l as BasketLine).quantity) &&
        (l as BasketLine).quantity > 0,
    )
  } catch {
    return []
  }
}

function writeBasket(ref: string, lines: BasketLine[]): void {
  try {
    if (lines.length === 0) localStorage.removeItem(keyOf(ref))
    else localStorage.setItem(keyOf(ref), JSON.stringify(lines))
  } catch {
    // Storage blocked: the basket lasts as long as the page.
  }
  for (const listener of listeners) listener()
}

/** Adds `quantity` of an item (capped at 99 a line); returns the line's new quantity. */
export function addToBasketStore(ref: string, id: string, quantity = 1): number {
  const lines = readBasket(ref)
  const line = lines.find((l) => l.id === id)
  const next = Math.min(MAX_QUANTITY, (line?.quantity ?? 0) + quantity)
  writeBasket(ref, [...lines.filter((l) => l.id !== id), { id, quantity: next }])
  return next
}

/** Sets a line's quantity; 0 removes it. */
export function setBasketQuantity(ref: string, id: string, quantity: number): void {
  const lines = readBasket(ref)
  const q = Math.max(0, Math.min(MAX_QUANTITY, Math.floor(quantity)))
  writeBasket(
    ref,
    q === 0
      ? lines.filter((l) => l.id !== id)
      : lines.map((l) => (l.id === id ? { ...l, quantity: q } : l)),
  )
}

export function emptyBasket(ref: string): void {
  writeBasket(ref, [])
}

/** The basket, kept current across this page and other tabs. */
export function useBasket(ref: string): BasketLine[] {
  const [lines, setLines] = useState(() => readBasket(ref))
  useEffect(() => {
    const update = () => setLines(readBasket(ref))
    update()
    listeners.add(update)
    const onStorage = (event: StorageEvent) => {
      if (event.key === keyOf(ref)) update()
    }
    window.addEventListener('storage', onStorage)
    return () => {
      listeners.delete(update)
      window.removeEventListener('storage', onStorage)
    }
  }, [ref])
  return lines
}
