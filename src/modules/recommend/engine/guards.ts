/**
 * What an answer may use and show (`Guards`), and the checks every level makes with them. Apart
 * from scoring so that the levels in other files (`off-level.ts`, `session-level.ts`,
 * `new-in-category.ts`) and the personal parts (`personal-parts.ts`) share them.
 */
import type { ItemModel } from './item-model.js'
import type { ReasonKind } from './scoring.js'

/** What may be used and shown. All masks have one byte per item; 1 means "applies". */
export interface Guards {
  /** Special-category items: never model input, never evidence (ignored in history and session). */
  readonly excluded?: Uint8Array
  /** Items never to recommend (out of stock, special category without consent, ...). */
  readonly blocked?: Uint8Array
  /** This subject's "not this" feedback. */
  readonly hiddenItems?: ArrayLike<number>
  /** Reason kinds this subject asked not to see; their score component is dropped. */
  readonly hiddenReasons?: readonly ReasonKind[]
  /** Items not to show in this answer (the product on the page, items in the cart). */
  readonly context?: ArrayLike<number>
}

export interface ScoreOptions {
  /** Number of items to return. */
  readonly limit: number
  readonly guards?: Guards
}

/** Whether item `i` is one of the model's items and may be model input (not excluded). */
export function usable(model: ItemModel, guards: Guards | undefined, i: number): boolean {
  return i >= 0 && i < model.nItems && guards?.excluded?.[i] !== 1
}

/** Whether the subject asked not to see this kind of reason. */
export function isHidden(guards: Guards | undefined, kind: ReasonKind): boolean {
  return guards?.hiddenReasons?.includes(kind) ?? false
}

/** Mask of items that may not be recommended in this answer. */
export function skipMask(model: ItemModel, guards: Guards | undefined): Uint8Array {
  const skip = new Uint8Array(model.nItems)
  if (guards?.blocked) for (let i = 0; i < skip.length; i++) skip[i] = guards.blocked[i] ?? 0
  for (const list of [guards?.hiddenItems, guards?.context]) {
    if (!list) continue
    for (let k = 0; k < list.length; k++) {
      const i = list[k]!
      if (i >= 0 && i < skip.length) skip[i] = 1
    }
  }
  return skip
}
