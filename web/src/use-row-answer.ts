/**
 * A recommendation row's answer: asked of Candor for the page the row is on (the product, the category,
 * the basket), or, when Candor cannot answer, the shop's own best sellers with a note that says why. The
 * inline consent question is the answer's `prompt` (Candor never sends one after a "no").
 */
import { useEffect, useState } from 'preact/hooks'
import type { Candor, ConsentPrompt, RecommendationResponse } from '../../sdk/src/candor.js'
import { type DemoCatalog, isMissingRoute } from './api.js'
import type { RowContext } from './row-heading.js'

/** A non-personal row built from the shop's own catalog, for when Candor cannot answer. */
function fallbackRow(
  catalog: DemoCatalog,
  context: RowContext,
  limit: number,
): RecommendationResponse {
  const skip = new Set([...(context.exclude ?? []), context.product?.id])
  return {
    recommId: 'fallback',
    level: 'off',
    levelReason: 'recommendations_unavailable',
    items: catalog.products
      .filter((p) => !skip.has(p.id))
      .slice(0, limit)
      .map((p) => ({
        id: p.id,
        title: p.title,
        explanation: {
          kind: 'popular',
          evidence: ['Chosen from the shop’s best sellers, the same for everyone.'],
          sentence: 'Popular with shoppers here.',
        },
      })),
  }
}

/** The row's answer, asked again when what the page is about changes. */
export function useRowAnswer(candor: Candor, catalog: DemoCatalog, context: RowContext) {
  const [answer, setAnswer] = useState<RecommendationResponse>()
  const [note, setNote] = useState<string>()
  const [prompt, setPrompt] = useState<ConsentPrompt>()
  const exclude = (context.exclude ?? []).join(',')

  useEffect(() => {
    let cancelled = false
    // Never rejects: a failure becomes the shop's own row in `catch`.
    void candor
      .recommendations({
        placement: context.placement,
        limit: 6,
        ...(context.product === undefined ? {} : { item: context.product.id }),
        ...(context.category === undefined ? {} : { category: context.category }),
        ...(context.exclude === undefined ? {} : { exclude: context.exclude }),
      })
      .catch((error: unknown) => {
        setNote(
          isMissingRoute(error) || (error as { status?: number }).status === 404
            ? 'Suggestions from Candor are not available on this server yet; showing the shop’s best sellers.'
            : 'Suggestions are not available right now; showing the shop’s best sellers.',
        )
        return fallbackRow(catalog, context, 6)
      })
      .then((next) => {
        if (cancelled) return
        setAnswer(next)
        setPrompt(next.prompt)
      })
    return () => {
      cancelled = true
    }
  }, [context.placement, context.product?.id, context.category, exclude])

  return { answer, note, prompt, setPrompt }
}
