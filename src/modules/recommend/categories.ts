import type { Item } from '../catalog/index.js'

/** The catalog's categories as the engine and the `category` filter need them. */
export interface CategoryIndex {
  /** Per item index: its full category path's number, -1 when it has none (see `NewInCategoryOptions`). */
  readonly of: Int32Array
  /** Every category path and each of its prefixes (`Home`, `Home/Candles`): what `category=` may name. */
  readonly paths: ReadonlySet<string>
}

/**
 * Numbers the full category paths of the items in `ids` (item index order) and lists every path
 * prefix some item is under. Built once per model state and catalog change.
 */
export function createCategoryIndex(
  ids: readonly string[],
  catalog: ReadonlyMap<string, Item>,
): CategoryIndex {
  const numbers = new Map<string, number>()
  const paths = new Set<string>()
  const of = new Int32Array(ids.length).fill(-1)
  ids.forEach((id, i) => {
    const path = catalog.get(id)?.category ?? []
    if (path.length === 0) return
    for (let k = 1; k <= path.length; k++) paths.add(path.slice(0, k).join('/'))
    const key = path.join('/')
    let n = numbers.get(key)
    if (n === undefined) numbers.set(key, (n = numbers.size))
    of[i] = n
  })
  return { of, paths }
}
