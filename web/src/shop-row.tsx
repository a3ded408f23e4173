/**
 * A recommendation row of the demo shop: asked of Candor for the page it is on (the product, the category,
 * the basket), rendered by the SDK's `renderRow` with the shop's pictures, prices and "Add to basket", and
 * headed by what its items are. The inline consent question shows only when Candor's answer carries a
 * `prompt` (Candor never sends one after a "no").
 */
import { useEffect, useRef } from 'preact/hooks'
import type {
  Candor,
  ConsentPrompt,
  RecommendationResponse,
  RecommendedItem,
  RowOptions,
} from '../../sdk/src/candor.js'
import type { DemoCatalog, Product } from './api.js'
import { productPictureUrl } from './product-picture.js'
import { type RowContext, rowHeading } from './row-heading.js'
import { useRowAnswer } from './use-row-answer.js'

export type { RowContext } from './row-heading.js'

const PERSONAL = 'personalize.recommendations'

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

/** The shop's picture of an item. */
function pictureOf(product: Product): HTMLImageElement {
  const img = document.createElement('img')
  img.src = productPictureUrl(product)
  img.alt = ''
  img.width = 160
  img.height = 120
  img.className = 'picture'
  return img
}

/** The price and "Add to basket" under an item. */
function buyBox(product: Product, onAdd: () => void): HTMLDivElement {
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
  add.addEventListener('click', onAdd)
  box.append(price, add)
  return box
}

/** How the SDK draws the row in the shop: its heading, links, pictures, prices and "Add to basket". */
function shopRowOptions(props: RowProps, answer: RecommendationResponse): RowOptions {
  const { catalog, context } = props
  const heading = rowHeading(answer, context)
  return {
    ...(heading === undefined ? {} : { heading }),
    href: (i) => `/p/${encodeURIComponent(i.id)}`,
    onStopPersonalizing: () => props.onChoicesChanged(),
    picture: (item) => pictureOf(productOf(catalog, item)),
    extra: (item) => {
      const product = productOf(catalog, item)
      return buyBox(product, () => props.onAdd(product, answer.recommId))
    },
  }
}

/** The inline consent question over the row. */
function PromptAside(props: { prompt: ConsentPrompt; onAnswer: (yes: boolean) => void }) {
  const { prompt } = props
  return (
    <aside class="prompt" aria-label="A question about suggestions">
      <p>
        <strong>{prompt.title}?</strong> {prompt.benefit}
      </p>
      <button type="button" class="choice small-choice" onClick={() => props.onAnswer(true)}>
        Yes, use my history
      </button>
      <button type="button" class="choice small-choice" onClick={() => props.onAnswer(false)}>
        No thanks
      </button>
    </aside>
  )
}

export function RecommendationRow(props: RowProps) {
  const { candor, catalog, context } = props
  const host = useRef<HTMLDivElement>(null)
  const { answer, note, prompt, setPrompt } = useRowAnswer(candor, catalog, context)

  useEffect(() => {
    if (host.current === null || answer === undefined) return
    candor.renderRow(host.current, answer, shopRowOptions(props, answer))
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
        <PromptAside prompt={prompt} onAnswer={(yes) => void answerPrompt(yes)} />
      )}
      <div ref={host} class="rec-host" aria-live="polite" />
      {note === undefined ? null : <p class="small muted">{note}</p>}
    </div>
  )
}
