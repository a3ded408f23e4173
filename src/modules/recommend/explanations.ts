/**
 * What a recommendation says about itself: the sentence for its reason, written to be literally true
 * of the evidence the engine gives (see `REASON_KINDS`), and the evidence's titles.
 */
import type { Item } from '../catalog/index.js'
import { type Recommendation, SENTENCES } from './engine/index.js'
import type { RecommendationAnswer } from './recommend.js'

type AnswerItem = RecommendationAnswer['items'][number]

/** A recommended item as the answer shows it, without its links (the representation adds them). */
export type ExplainedItem = Omit<AnswerItem, 'links'>

/** What `explain` reads: the item ids by index, the catalog, and which items may not be evidence. */
export interface ExplainSource {
  readonly ids: readonly string[]
  readonly catalog: ReadonlyMap<string, Item>
  /** 1 = never shown as evidence (special-category items this shopper did not allow). */
  readonly excluded: Uint8Array
  /** The answer's `category` filter. */
  readonly within: string | undefined
}

/** A recommendation as the answer shows it, without its links. */
export function explain(source: ExplainSource, rec: Recommendation): ExplainedItem {
  const { ids, catalog } = source
  const id = ids[rec.item]!
  const item = catalog.get(id)
  const evidence = Array.from(rec.evidence)
    .filter((i) => source.excluded[i] !== 1)
    .map((i) => {
      const evidenceId = ids[i]!
      return { id: evidenceId, title: catalog.get(evidenceId)?.title ?? evidenceId }
    })
  const category = item?.category ?? []
  const shown =
    rec.reason === 'buy_again' || rec.reason === 'looked_at' ? evidence.slice(0, 1) : evidence
  return {
    id,
    title: item?.title ?? id,
    category,
    ...(item?.price === undefined ? {} : { price: item.price }),
    explanation: {
      kind: rec.reason,
      evidence: shown,
      sentence: SENTENCES[rec.reason](
        shown.map((e) => e.title),
        { rec, category, within: source.within },
      ),
    },
  }
}
