/**
 * What a recommendation row of the demo shop is called. Pure (no DOM), so that a unit test can hold it to
 * its promise: a heading says only what every item in the row is. The rule for reasons is the SDK's
 * (`rowHeadingFor`); this adds only what the page knows: its category, and that it is a product's page.
 */
import { rowHeadingFor } from '../../sdk/src/row-heading.js'
import type { RecommendationResponse } from '../../sdk/src/types.js'
import type { Product } from './api.js'

/** What the page is about, which the row is asked for and named after. */
export interface RowContext {
  placement: 'home' | 'category' | 'product' | 'cart'
  /** The product on the page. */
  product?: Product
  /** The category on the page: its title, which is its path in Candor's catalog. */
  category?: string
  /** Items not to suggest (the basket). */
  exclude?: readonly string[]
}

/**
 * The row's heading, from the reasons its items actually carry, so that it stays true whatever the server
 * answers: "Popular in Bags" only when every item is a popular pick in Bags, "Often bought with this
 * product" only when every item was bought with it, "Suggestions for this product" for a non-personal row
 * of mixed reasons on a product's page; otherwise the SDK's heading.
 */
export function rowHeading(
  answer: Pick<RecommendationResponse, 'level' | 'items'>,
  context: RowContext,
): string | undefined {
  const category = context.category
  const inCategory =
    category !== undefined &&
    answer.items.every(
      (i) => Array.isArray(i.category) && (i.category as unknown[]).some((c) => c === category),
    )
  const heading = rowHeadingFor(answer, inCategory ? category : undefined)
  // Items bought with a product only come with a product's page; anywhere else "this product" names nothing.
  if (heading === 'Often bought with this product' && context.product === undefined)
    return 'Suggestions'
  // Not personal, yet of mixed reasons (some bought with the product, some popular, say).
  if (heading === 'Suggestions' && context.product !== undefined)
    return 'Suggestions for this product'
  return heading
}
