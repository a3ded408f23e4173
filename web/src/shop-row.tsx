/**
 * A recommendation row of the demo shop: asked of Candor for the page it is on (the product, the category,
 * the basket), rendered by the SDK's `renderRow` with the shop's pictures, prices and "Add to basket", and
 * headed by what its items are. The inline consent question shows only when Candor's answer carries a
 * `prompt` (Candor never sends one after a "no").
 */
import { useEffect, useRef, useState } from 'preact/hooks'
import type {
  Candor,
  ConsentPrompt,
  RecommendationResponse,
  RecommendedItem,
} from '../../sdk/src/candor.js'
import { type DemoCatalog, type Product, isMissingRoute } from './api.js'
import { productPictureUrl } from './product-picture.js'
import { type RowContext, rowHeading } from './row-heading.js'

export type { RowContext } from './row-heading.js'

const PERSONAL = 'personalize.recommendations'

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

export interface RowProps {
  candor: Candor
  catalog: DemoCatalog
  context: RowContext
  /** "Add to basket" pressed on one of the row's items. */
  onAdd: (product: Product, recommId: string) => void
  /** The shopper changed their choices or their level from the row: every row asks again. */
  onChoicesChanged: () => void
}

/** The product behind an item: the shop's own record, else what Candor said about it. */
function productOf(catalog: DemoCatalog, item: RecommendedItem): Product {
  const known = catalog.products.find((p) => p.id === item.id)
  if (known !== undefined) return known
  const category = Array.isArray(item.category) ? String(item.category[0] ?? '') : ''
  return {
    id: item.id,
    title: item.title,
    category: catalog.categories.find((c) => c.title === category)?.id ?? category,
    price: typeof item.price === 'number' ? item.price : Number.NaN,
    currency: 'GBP',
  }
}

export function money(product: Product): string {
  if (!Number.isFinite(product.price)) return ''
  return new Intl.NumberFormat('en-GB', { style: 'currency', currency: product.currency }).format(
    product.price,
  )
}

export function RecommendationRow(props: RowProps) {
  const { candor, catalog, context } = props
  const host = useRef<HTMLDivElement>(null)
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

  useEffect(() => {
    if (host.current === null || answer === undefined) return
    const heading = rowHeading(answer, context)
    candor.renderRow(host.current, answer, {
      ...(heading === undefined ? {} : { heading }),
      href: (i) => `/p/${encodeURIComponent(i.id)}`,
      onStopPersonalizing: () => props.onChoicesChanged(),
      picture: (item) => {
        const img = document.createElement('img')
        img.src = productPictureUrl(productOf(catalog, item))
        img.alt = ''
        img.width = 160
        img.height = 120
        img.className = 'picture'
        return img
      },
      extra: (item) => {
        const product = productOf(catalog, item)
        const box = document.createElement('div')
        box.className = 'buy'
        const price = document.createElement('span')
        price.className = 'price'
        price.textContent = money(product)
        const add = document.createElement('button')
        add.type = 'button'
        add.className = 'add'
        add.textContent = 'Add to basket'
        add.setAttribute('aria-label', `Add to basket: ${product.title}`)
        add.addEventListener('click', () => props.onAdd(product, answer.recommId))
        box.append(price, add)
        return box
      },
    })
  }, [answer])

  async function answerPrompt(yes: boolean) {
    if (prompt === undefined) return
    await candor.decide(
      { [prompt.purpose]: yes ? 'granted' : 'denied' },
      prompt.noticeVersion,
      'progressive_prompt',
    )
    if (yes && prompt.purpose === PERSONAL) await candor.setLevel('personal')
    setPrompt(undefined)
    props.onChoicesChanged()
  }

  return (
    <div class="rec-block" data-placement={context.placement}>
      {prompt === undefined ? null : (
        <aside class="prompt" aria-label="A question about suggestions">
          <p>
            <strong>{prompt.title}?</strong> {prompt.benefit}
          </p>
          <button type="button" class="choice small-choice" onClick={() => void answerPrompt(true)}>
            Yes, use my history
          </button>
          <button
            type="button"
            class="choice small-choice"
            onClick={() => void answerPrompt(false)}
          >
            No thanks
          </button>
        </aside>
      )}
      <div ref={host} class="rec-host" aria-live="polite" />
      {note === undefined ? null : <p class="small muted">{note}</p>}
    </div>
  )
}
