/**
 * Dense integer indices for string ids. The engine works on `0..n-1` so that every per-item or
 * per-subject quantity fits in a typed array; the service keeps the string ids at its edge.
 */
export interface IdIndex {
  /** `ids[i]` is the string id of index `i`. */
  readonly ids: readonly string[]
  /** The index of a string id. */
  readonly byId: ReadonlyMap<string, number>
}

/**
 * Builds an index over the distinct ids in first-seen order, so the same input always gives the
 * same indices (needed for deterministic training and erasure equivalence).
 */
export function createIdIndex(ids: Iterable<string>): IdIndex {
  const list: string[] = []
  const byId = new Map<string, number>()
  for (const id of ids) {
    if (!byId.has(id)) {
      byId.set(id, list.length)
      list.push(id)
    }
  }
  return { ids: list, byId }
}

/** The index of `id`, or -1 when it is not indexed. */
export function indexOf(index: IdIndex, id: string): number {
  return index.byId.get(id) ?? -1
}

/** Maps string ids to indices, dropping the ones the index does not know. */
export function toIndices(index: IdIndex, ids: Iterable<string>): Int32Array {
  const out: number[] = []
  for (const id of ids) {
    const i = index.byId.get(id)
    if (i !== undefined) out.push(i)
  }
  return Int32Array.from(out)
}
