/**
 * The `personal` answer as one function, so that the server (`answer.ts`) and the browser SDK (the
 * `on_device` level, over the serving model) rank with the very same code: `recommendPersonal` (repeat,
 * item neighbours blended with EASE where training chose it, popularity), then the bounded places of
 * new items in the shopper's own categories (`addNewInCategory`).
 */
import type { History } from './interactions.js'
import type { ItemModel } from './item-model.js'
import { addNewInCategory } from './new-in-category.js'
import { type PersonalOptions, type Recommendation, recommendPersonal } from './scoring.js'

/** What the catalog says per item that the model does not: for `new_in_category`. */
export interface CatalogFacts {
  /** Category per item (-1: none), numbered as the caller likes (same number, same category). */
  readonly categoryOf: Int32Array
  /** When each item was listed (ms; NaN: unknown or not needed). */
  readonly firstSeen: Float64Array
}

export interface PersonalAnswerOptions extends PersonalOptions {
  /** Absent: no `new_in_category` places (benchmarks pass none). */
  readonly catalog?: CatalogFacts
}

/**
 * The `personal` answer for one shopper's history: `recommendPersonal`, then up to
 * `newInCategorySlots(limit)` last places for new items in the categories of the history's items.
 *
 * @example
 * answerPersonal(model, history, { now, limit: 10, guards, catalog: { categoryOf, firstSeen } })
 */
export function answerPersonal(
  model: ItemModel,
  history: History,
  options: PersonalAnswerOptions,
): Recommendation[] {
  const recs = recommendPersonal(model, history, options)
  // `options` holds now, limit and guards; the catalog's facts complete what new items need.
  return options.catalog === undefined
    ? recs
    : addNewInCategory(model, recs, history.items, { ...options, ...options.catalog })
}
