/**
 * The item masks an answer filters with, built on first use per model state and shared by every answer
 * that asks the same (the engine only reads them): which special-category items stay out of a
 * shopper's history and evidence, and which items an answer may not show (`Guards.blocked`).
 */
import type { Charter } from '../charter/index.js'
import type { ConsentService } from '../consent/index.js'
import { type CategoryIndex, createCategoryIndex } from './categories.js'
import type { ModelState } from './model.js'

/** Distinct item filters (stock x category x history level) whose masks are kept per model. */
const MAX_CACHED_MASKS = 64

/** Special-category items kept out of a history (1 = out), and which allowed categories made it. */
export interface Excluded {
  key: string
  mask: Uint8Array
}

/** A purpose that unlocks a special category for the shopper who allowed it. */
export interface SpecialPurpose {
  key: string
  category: string
}

/** The purposes that unlock a special category for the shopper who allowed them. */
export function specialPurposesOf(charter: Charter): SpecialPurpose[] {
  return Object.entries(charter.purposes).flatMap(([key, purpose]) =>
    purpose.specialCategory === undefined ? [] : [{ key, category: purpose.specialCategory }],
  )
}

/**
 * The special-category items that must stay out of this shopper's history, evidence and history-based
 * suggestions: all of them, except the categories whose purpose they explicitly allowed (asked now, like
 * the level). Those still never enter the shared model. Built once per model and set of categories.
 */
export async function excludedFor(
  s: ModelState,
  subjectId: string,
  specialPurposes: readonly SpecialPurpose[],
  consent: Pick<ConsentService, 'decide'>,
): Promise<Excluded> {
  const allowed: string[] = []
  for (const { key, category } of specialPurposes)
    if ((await consent.decide(subjectId, key)).allowed) allowed.push(category)
  if (allowed.length === 0) return noneAllowed(s)
  const key = [...new Set(allowed)].sort().join(',')
  const mask = maskFor(s, `allowed:${key}`, () => {
    const built = Uint8Array.from(s.excluded)
    s.items.ids.forEach((id, i) => {
      const category = s.catalog.get(id)?.specialCategory
      if (category !== undefined && allowed.includes(category)) built[i] = 0
    })
    return built
  })
  return { key, mask }
}

/** Every special-category item kept out of a history: nobody allowed anything. */
export function noneAllowed(s: ModelState): Excluded {
  return { key: '', mask: s.excluded }
}

/** The model's item mask under `key`, built on first use; at most `MAX_CACHED_MASKS` are kept. */
function maskFor(s: ModelState, key: string, build: () => Uint8Array): Uint8Array {
  let mask = s.masks.get(key)
  if (mask !== undefined) return mask
  mask = build()
  if (s.masks.size >= MAX_CACHED_MASKS) s.masks.clear()
  s.masks.set(key, mask)
  return mask
}

/**
 * `Guards.blocked` for one answer: out-of-stock items unless asked for, items outside the category,
 * and special-category items at the levels that read a history. The same few filters come back on
 * every request, so each mask is built once per model and shared (the engine only reads it).
 */
export function blockedMask(
  s: ModelState,
  inStockOnly: boolean,
  category: string | undefined,
  history: Excluded | undefined,
): Uint8Array {
  const key = `${inStockOnly ? 1 : 0}${history === undefined ? '' : `h${history.key}`}|${category ?? ''}`
  return maskFor(s, key, () => {
    const mask = new Uint8Array(s.items.ids.length)
    if (inStockOnly) mask.set(s.unavailable)
    if (category !== undefined) {
      const prefix = category.split('/')
      s.items.ids.forEach((id, i) => {
        const path = s.catalog.get(id)?.category ?? []
        if (!prefix.every((part, k) => path[k] === part)) mask[i] = 1
      })
    }
    // At the levels that read a history, special-category items are not recommended from it (unless allowed).
    if (history !== undefined)
      for (let i = 0; i < mask.length; i++) if (history.mask[i] === 1) mask[i] = 1
    return mask
  })
}

/** The catalog's categories for this model state, built on first use after a change. */
export function categoriesOf(s: ModelState): CategoryIndex {
  s.categories ??= createCategoryIndex(s.items.ids, s.catalog)
  return s.categories
}
