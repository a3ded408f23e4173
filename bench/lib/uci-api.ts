/**
 * Putting UCI Online Retail into a test context through its HTTP API, as a shop would: the calls the
 * UCI seeders share (`erasure-uci.ts`, `insights-uci.ts`).
 */
import type { TestContext } from '../../test/helpers/test-context.js'

/** Items per `PUT /v1/items` call. */
const BATCH = 1000

/** One storefront call; throws with the status and the start of the body unless it succeeded. */
export async function send(ctx: TestContext, method: 'PUT' | 'POST', url: string, payload: object) {
  const response = await ctx.request({ method, url, as: 'storefront', payload })
  if (response.statusCode >= 300)
    throw new Error(`${url}: ${response.statusCode} ${response.body.slice(0, 200)}`)
  return response
}

/** The catalog: every item once, titled by its stock code, in one category. */
export async function putUciCatalog(ctx: TestContext, itemIds: readonly string[]): Promise<void> {
  const items = [...new Set(itemIds)]
  for (let i = 0; i < items.length; i += BATCH) {
    await send(ctx, 'PUT', '/v1/items', {
      items: items
        .slice(i, i + BATCH)
        .map((id) => ({ id, title: `Item ${id}`, category: ['Gifts'] })),
    })
  }
}
