/**
 * Items the catalog lists after training. Item indices are dense and only ever appended to, so an
 * item added to the catalog gets the next index; the model then needs one more row and column, with
 * nothing in them: nobody's history holds the item yet, as far as the model knows. Growing the model
 * that way gives exactly what training would have given with the larger item count, so scoring, the
 * `off` level's new arrivals and erasure (`removeSubject`) all work on the grown model as on a trained
 * one.
 */
import type { ItemModel, NeighbourRows, SparseRows } from './item-model.js'

/**
 * The model grown to `nItems` items: indices `model.nItems..nItems-1` are new, with zero statistics,
 * no co-occurrence and empty neighbour rows. Equals `trainItemModel` run on the same interactions
 * with `nItems` items, array for array. Returns `model` itself when it already has `nItems` items;
 * the input is never changed (the sparse columns and values, which do not change, are shared).
 *
 * @example
 * const grown = withItems(model, items.ids.length) // after appending new catalog ids to the index
 */
export function withItems(model: ItemModel, nItems: number): ItemModel {
  if (!Number.isInteger(nItems) || nItems < model.nItems) {
    throw new RangeError(`a model of ${model.nItems} items cannot become one of ${nItems}`)
  }
  if (nItems === model.nItems) return model
  return {
    ...model,
    nItems,
    itemSubjects: grown(model.itemSubjects, nItems),
    recentSubjects: grown(model.recentSubjects, nItems),
    earlierSubjects: grown(model.earlierSubjects, nItems),
    repeatSubjects: grown(model.repeatSubjects, nItems),
    cooccurrence: grownRows(model.cooccurrence, nItems),
    selfOccurrence: grown(model.selfOccurrence, nItems),
    neighbours: grownRows(model.neighbours, nItems),
  }
}

/** `values` followed by zeros up to length `n`. */
function grown(values: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n)
  out.set(values)
  return out
}

/** Compressed sparse rows with empty rows appended up to `n` rows. */
function grownRows<T extends SparseRows | NeighbourRows>(rows: T, n: number): T {
  const ptr = new Int32Array(n + 1)
  ptr.set(rows.ptr)
  ptr.fill(rows.ptr[rows.ptr.length - 1]!, rows.ptr.length)
  return { ...rows, ptr }
}
