/**
 * What a recommendation says about itself: the sentence for its reason, written to be literally true
 * of the evidence the engine gives (see `REASON_KINDS`), and the evidence's titles.
 */
import type { Item } from '../catalog/index.js'
import type { Recommendation } from './engine/index.js'
import type { RecommendationAnswer } from './recommend.js'

type AnswerItem = RecommendationAnswer['items'][number]

/** A recommended item as the answer shows it, without its links (the representation adds them). */
export type ExplainedItem = Omit<AnswerItem, 'links'>

/** What a sentence may say besides the evidence titles. */
interface SentenceContext {
  readonly rec: Recommendation
  /** The recommended item's own category path. */
  readonly category: readonly string[]
  /** The answer's `category` filter, when it has one. */
  readonly within: string | undefined
}

const SENTENCES: Record<
  Recommendation['reason'],
  (evidence: string[], context: SentenceContext) => string
> = {
  buy_again: () => 'You bought this before.',
  looked_at: () => 'You looked at this before.',
  bought_together: (e) => `Often bought together with ${list(e)}, which you bought or looked at.`,
  bought_with_item: (e) => `Often bought together with ${list(e)}.`,
  similar_to_viewed: (e) => `Similar to ${list(e)}, which you looked at during this visit.`,
  popular: (_, { rec, within }) => {
    const where = within === undefined ? 'with shoppers' : `in ${lastPart(within.split('/'))}`
    return `Popular ${where}${rec.recent === true ? ' right now' : ''}.`
  },
  trending: () => 'More people have been buying this lately.',
  new: () => 'New in the shop.',
  new_in_category: (e, { category }) =>
    `New in ${lastPart(category)}, where you bought or looked at ${list(e)}.`,
}

function lastPart(path: readonly string[]): string {
  return path.at(-1) ?? 'the shop'
}

function list(titles: string[]): string {
  if (titles.length === 0) return 'items'
  if (titles.length === 1) return titles[0]!
  return `${titles.slice(0, -1).join(', ')} and ${titles.at(-1)!}`
}

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
