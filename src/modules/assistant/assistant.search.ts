/**
 * Catalog retrieval for the assistant: a MiniSearch index (BM25, prefix and fuzzy matching, field
 * boosts) over the title, description and category of the items a shopper may be offered (available,
 * not special-category), and the request's constraints applied as hard filters (budget on the price,
 * the named category). Pure apart from the index it holds: no I/O, so the retrieval benchmark calls
 * `searchCatalog` without a server.
 */
import MiniSearch from 'minisearch'
import { type ParsedRequest, parseRequest, wordsOf } from './assistant.parse.js'

/** What retrieval reads of a catalog item (the catalog's `Item` has it; `description` is optional). */
export interface SearchableItem {
  readonly id: string
  readonly title: string
  readonly category: readonly string[]
  readonly price?: number | undefined
  readonly available: boolean
  readonly specialCategory?: string | undefined
  readonly description?: string | undefined
}

/** One item found, with its relevance (BM25 with boosts; 0 when the request had no words to search). */
export interface SearchHit<T extends SearchableItem = SearchableItem> {
  readonly item: T
  readonly score: number
  /** The request's words found in the item's text (as indexed: lower case, singular). */
  readonly matched: readonly string[]
}

/** Title matches count three times a category match, description twice. */
const BOOST = { title: 3, description: 2, category: 1 }

/** Lower case, singular (a trailing s dropped, not ss), so "candles" finds "candle" and back. */
function termOf(term: string): string | null {
  const t = term.toLowerCase()
  if (t.length < 2) return null
  return t.length > 3 && t.endsWith('s') && !t.endsWith('ss') ? t.slice(0, -1) : t
}

/** Items a shopper may be offered: available and not special-category (never suggested from a chat). */
export function isOffered(item: SearchableItem): boolean {
  return item.available && item.specialCategory === undefined
}

/** Within the budget: an item without a price is never within one. */
function withinBudget(item: SearchableItem, budget: ParsedRequest['budget']): boolean {
  if (budget === undefined) return true
  if (item.price === undefined) return false
  return (
    (budget.min === undefined || item.price >= budget.min) &&
    (budget.max === undefined || item.price <= budget.max)
  )
}

/** Under the named category (any level of its path), or its word in the title ("tea" of a tea mug). */
function inCategory(item: SearchableItem, category: string | undefined): boolean {
  if (category === undefined) return true
  const word = termOf(category)
  if (item.category.some((c) => c.toLowerCase() === category.toLowerCase())) return true
  return word !== null && wordsOf(item.title).some((w) => termOf(w) === word)
}

/**
 * An index over the offered items of a catalog, updated item by item as the catalog changes (an item
 * that stops being offered leaves it).
 */
export class CatalogIndex<T extends SearchableItem = SearchableItem> {
  private readonly search = new MiniSearch<{
    id: string
    title: string
    description: string
    category: string
  }>({
    fields: ['title', 'description', 'category'],
    storeFields: [],
    processTerm: termOf,
    searchOptions: {
      boost: BOOST,
      prefix: true,
      fuzzy: 0.2,
      combineWith: 'OR',
      processTerm: termOf,
    },
  })
  private readonly items = new Map<string, T>()

  constructor(items: Iterable<T> = []) {
    for (const item of items) this.put(item)
  }

  /** Adds, replaces or (no longer offered) removes one item. */
  put(item: T): void {
    if (this.items.has(item.id)) {
      this.search.discard(item.id)
      this.items.delete(item.id)
    }
    if (!isOffered(item)) return
    this.items.set(item.id, item)
    this.search.add({
      id: item.id,
      title: item.title,
      description: item.description ?? '',
      category: item.category.join(' '),
    })
  }

  get size(): number {
    return this.items.size
  }

  /** The category names of the offered items (each level of each path), for the parser. */
  categories(): string[] {
    const names = new Set<string>()
    for (const item of this.items.values()) for (const c of item.category) names.add(c)
    return [...names]
  }

  /**
   * The offered items that answer the request, best first, at most `limit`: the budget and category are
   * hard filters; with words to search, only items whose text matches one of them (by relevance);
   * without, every item within the filters (score 0, in catalog order).
   */
  find(request: ParsedRequest, limit: number): SearchHit<T>[] {
    const keep = (item: T) =>
      withinBudget(item, request.budget) && inCategory(item, request.category)
    if (request.terms.length === 0) {
      const all: SearchHit<T>[] = []
      for (const item of this.items.values()) {
        if (all.length >= limit) break
        if (keep(item)) all.push({ item, score: 0, matched: [] })
      }
      return all
    }
    const hits: SearchHit<T>[] = []
    for (const result of this.search.search(request.terms.join(' '))) {
      const item = this.items.get(result.id as string)
      if (item === undefined || !keep(item)) continue
      hits.push({ item, score: result.score, matched: result.terms })
      if (hits.length >= limit) break
    }
    return hits
  }
}

/**
 * Retrieval alone, for the benchmark and tests: indexes `items` (only the offered ones), reads `text`
 * with the parser (categories from the items) and answers the best `limit` items.
 *
 * @example searchCatalog(catalog, 'a gift under 20 pounds for a tea lover', 10)
 */
export function searchCatalog<T extends SearchableItem>(
  items: readonly T[],
  text: string,
  limit: number,
): SearchHit<T>[] {
  const index = new CatalogIndex(items)
  return index.find(parseRequest(text, index.categories()), limit)
}
