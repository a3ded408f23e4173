import type { Clock } from '../../lib/clock.js'
import type { CatalogService, Item } from '../catalog/index.js'
import { CatalogIndex } from './assistant.search.js'

/** How often a process looks for catalog items upserted since it last looked (wall clock, ms). */
const CATALOG_SYNC_MS = 1000
/**
 * How far back each look reaches before the previous one (as the recommender's model does): a batch
 * that committed late, or a writer whose clock runs a little behind, is still found.
 */
const CATALOG_OVERLAP_MS = 10_000
/** Items read per page when the index is first built. */
const PAGE = 1000

/**
 * The assistant's search index of the catalog, in memory: built from the whole catalog on first use,
 * then kept in step with the catalog's change signal (`updated_at`, read through the catalog's
 * `listItemsUpdatedSince`, at most once a second), so an upsert by any process is searchable within a
 * second and an item that became unavailable or special-category leaves the index.
 */
export function createCatalogIndexHolder(deps: {
  catalog: Pick<CatalogService, 'listItems' | 'listItemsUpdatedSince'>
  clock: Clock
}) {
  let index: Promise<CatalogIndex<Item>> | undefined
  let since = 0
  let lookedAt = 0

  async function build(): Promise<CatalogIndex<Item>> {
    since = deps.clock.now().getTime() - CATALOG_OVERLAP_MS
    lookedAt = Date.now()
    const built = new CatalogIndex<Item>()
    for (let after: string | undefined; ;) {
      const page = await deps.catalog.listItems({
        ...(after === undefined ? {} : { after }),
        limit: PAGE,
      })
      for (const item of page) built.put(item)
      if (page.length < PAGE) break
      after = page.at(-1)!.id
    }
    return built
  }

  return {
    /** The index, with every upsert up to about a second ago applied. */
    async current(): Promise<CatalogIndex<Item>> {
      if (index === undefined) {
        index = build()
        void index.catch(() => {
          index = undefined
        })
        return index
      }
      const held = await index
      if (Date.now() - lookedAt < CATALOG_SYNC_MS) return held
      lookedAt = Date.now()
      const from = since
      since = deps.clock.now().getTime() - CATALOG_OVERLAP_MS
      for (const item of await deps.catalog.listItemsUpdatedSince(new Date(from).toISOString()))
        held.put(item)
      return held
    },
  }
}
