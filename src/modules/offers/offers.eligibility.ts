/**
 * Whether an offer may be shown to a shopper, and why: pure functions over what the service read. The
 * one rule: an offer whose conditions read more about the shopper than their consent allows for the
 * offer's purpose is not eligible (no grant: only offers whose conditions use no personal data), and a
 * special-category item never counts as evidence (the service leaves such items out of the facts).
 */
import type { DataLevel, Eligibility, Offer, OfferReason } from './offers.js'

/** An item as eligibility reads it (special-category items are never among them). */
export interface FactItem {
  readonly id: string
  readonly title: string
  readonly category: readonly string[]
}

/** What the service read about the shopper for one purpose, as far as their consent allows. */
export interface ShopperFacts {
  /** What the shopper allowed this purpose to read. */
  readonly allowed: DataLevel
  /** The purpose itself is allowed for the shopper (whatever their level). */
  readonly granted: boolean
  readonly jurisdiction: string
  /** The cart's items (read only when `allowed` is `session` or `personal`). */
  readonly cart: readonly FactItem[]
  /** Their items with history (`personal` only), and whether they ever bought anything. */
  readonly history: readonly FactItem[]
  readonly bought: boolean
}

export interface Verdict {
  readonly offer: Offer
  readonly kind: OfferReason
  readonly evidence: readonly { id: string; title: string }[]
  readonly needs: DataLevel
}

const RANK: Record<DataLevel, number> = { none: 0, session: 1, personal: 2 }

/** What an offer's conditions read about the shopper. */
export function dataNeeded(e: Eligibility): DataLevel {
  if (e.categoryAffinity !== undefined || e.customer !== undefined) return 'personal'
  if (e.cartContains !== undefined) return 'session'
  return 'none'
}

/** `a` allows at least what `b` needs. */
export function allows(a: DataLevel, b: DataLevel): boolean {
  return RANK[a] >= RANK[b]
}

function under(category: readonly string[], path: string): boolean {
  const parts = path.split('/')
  return parts.every((p, i) => category[i] === p)
}

/** Is the offer running at `touchpoint` at `now` (active, scheduled)? */
export function isRunning(offer: Offer, touchpoint: string, now: Date): boolean {
  if (!offer.active || !offer.touchpoints.includes(touchpoint)) return false
  const t = now.getTime()
  if (offer.schedule.from !== undefined && t < Date.parse(offer.schedule.from)) return false
  if (offer.schedule.until !== undefined && t >= Date.parse(offer.schedule.until)) return false
  return true
}

/** The offer's verdict for these facts: undefined when not eligible. */
export function judge(offer: Offer, facts: ShopperFacts): Verdict | undefined {
  const e = offer.eligibility
  const needs = dataNeeded(e)
  if (!allows(facts.allowed, needs)) return undefined
  if (e.jurisdictions !== undefined && !e.jurisdictions.includes(facts.jurisdiction))
    return undefined
  let kind: OfferReason | undefined
  let evidence: FactItem[] = []
  if (e.customer !== undefined) {
    if ((e.customer === 'returning') !== facts.bought) return undefined
    kind = e.customer === 'returning' ? 'returning_customer' : 'new_customer'
  }
  if (e.cartContains !== undefined) {
    const wanted = new Set(e.cartContains)
    const inCart = facts.cart.filter((i) => wanted.has(i.id))
    if (inCart.length === 0) return undefined
    kind = 'cart_contents'
    evidence = inCart
  }
  if (e.categoryAffinity !== undefined) {
    const paths = e.categoryAffinity
    const matching = facts.history.filter((i) => paths.some((p) => under(i.category, p)))
    if (matching.length === 0) return undefined
    kind = 'category_affinity'
    evidence = matching
  }
  return {
    offer,
    kind: kind ?? 'for_everyone',
    evidence: evidence.slice(0, 3).map((i) => ({ id: i.id, title: i.title })),
    needs,
  }
}

/** The best of the eligible: highest priority, then the most specific, then the newest definition. */
export function best(verdicts: readonly Verdict[]): Verdict | undefined {
  return [...verdicts].sort(
    (a, b) =>
      b.offer.priority - a.offer.priority ||
      RANK[b.needs] - RANK[a.needs] ||
      b.offer.updatedAt.localeCompare(a.offer.updatedAt) ||
      a.offer.id.localeCompare(b.offer.id),
  )[0]
}

/** The sentence of a verdict, true of its evidence. */
export function sentenceOf(v: Verdict, jurisdiction: string): string {
  const titles = v.evidence.map((e) => e.title)
  const list =
    titles.length <= 1
      ? (titles[0] ?? 'items')
      : `${titles.slice(0, -1).join(', ')} and ${titles.at(-1)!}`
  switch (v.kind) {
    case 'category_affinity':
      return `Because you bought or looked at ${list}.`
    case 'cart_contents':
      return `Because ${list} ${titles.length === 1 ? 'is' : 'are'} in your basket.`
    case 'returning_customer':
      return 'Because you have shopped with us before.'
    case 'new_customer':
      return 'A welcome offer for your first order.'
    case 'for_everyone':
      return v.offer.eligibility.jurisdictions === undefined
        ? 'An offer for everyone: nothing about you was used.'
        : `An offer for everyone in ${jurisdiction}: nothing about you was used.`
  }
}
