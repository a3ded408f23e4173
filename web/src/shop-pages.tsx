/**
 * The demo shop's pages: home, category, product and basket. Each has its recommendation row, asked for
 * what the page is about; the shell around them (header, banner, footer) is in shop.tsx.
 */
import type { Candor } from '../../sdk/src/candor.js'
import type { DemoCatalog, Product } from './api.js'
import { type BasketLine, emptyBasket, setBasketQuantity } from './basket.js'
import { productPictureUrl } from './product-picture.js'
import { OfferSlot } from './shop-offer.js'
import { RecommendationRow, type RowContext, money } from './shop-row.js'
import { SurveySlot } from './shop-survey.js'

export interface PageProps {
  candor: Candor
  catalog: DemoCatalog
  /** The shopper's reference (whose basket this is). */
  shopper: string
  /** Their shopper token (for calls the SDK does not make: the offer slot). */
  token: string
  basket: BasketLine[]
  /** False while the first privacy choice is being asked: rows wait for it. */
  rowsReady: boolean
  /** Changes when the shopper's choices do, so every row asks again. */
  choicesVersion: number
  onAdd: (product: Product, recommId?: string) => void
  onChoicesChanged: () => void
  /** Says something to the shopper in the page's status line. */
  say: (message: string) => void
}

export function Picture({ product, size }: { product: Product; size?: 'big' }) {
  return (
    <img
      class={size === 'big' ? 'picture big' : 'picture'}
      src={productPictureUrl(product)}
      alt=""
      width={160}
      height={120}
    />
  )
}

function ProductCard({ product, onAdd }: { product: Product; onAdd: PageProps['onAdd'] }) {
  return (
    <li class="card" data-item={product.id}>
      <a href={`/p/${encodeURIComponent(product.id)}`}>
        <Picture product={product} />
        <span class="card-title">{product.title}</span>
      </a>
      <div class="buy">
        <span class="price">{money(product)}</span>
        <button
          type="button"
          class="add"
          aria-label={`Add to basket: ${product.title}`}
          onClick={() => onAdd(product)}
        >
          Add to basket
        </button>
      </div>
    </li>
  )
}

function ProductGrid({ products, onAdd }: { products: Product[]; onAdd: PageProps['onAdd'] }) {
  return (
    <ul class="grid">
      {products.map((p) => (
        <ProductCard product={p} key={p.id} onAdd={onAdd} />
      ))}
    </ul>
  )
}

function Row({ props, context }: { props: PageProps; context: RowContext }) {
  if (!props.rowsReady) {
    return (
      <div class="rec-block rec-waiting" data-placement={context.placement}>
        <p class="muted">Suggestions appear here once you have made your privacy choices.</p>
      </div>
    )
  }
  return (
    <RecommendationRow
      key={`${context.placement}-${context.product?.id ?? ''}-${props.choicesVersion}`}
      candor={props.candor}
      catalog={props.catalog}
      context={context}
      onAdd={props.onAdd}
      onChoicesChanged={props.onChoicesChanged}
    />
  )
}

export function HomePage(props: PageProps) {
  return (
    <>
      <section class="hero">
        <h1>Gifts for every day</h1>
        <p>
          A demo shop whose suggestions come from <strong>Candor</strong>: each says why it is
          shown, and you decide what Candor may use (see your <a href="/privacy">privacy center</a>
          ).
        </p>
      </section>
      <OfferSlot
        token={props.token}
        shopper={props.shopper}
        ready={props.rowsReady}
        version={props.choicesVersion}
        say={props.say}
      />
      <Row props={props} context={{ placement: 'home' }} />
      <SurveySlot
        token={props.token}
        shopper={props.shopper}
        ready={props.rowsReady}
        version={props.choicesVersion}
      />
      <h2>Best sellers</h2>
      <ProductGrid products={props.catalog.products.slice(0, 12)} onAdd={props.onAdd} />
    </>
  )
}

export function CategoryPage(props: PageProps & { id: string }) {
  const category = props.catalog.categories.find((c) => c.id === props.id)
  if (category === undefined) return <h1>This category is not in the shop</h1>
  const products = props.catalog.products.filter((p) => p.category === category.id)
  return (
    <>
      <h1>{category.title}</h1>
      <Row props={props} context={{ placement: 'category', category: category.title }} />
      <h2>All {products.length} products</h2>
      <ProductGrid products={products.slice(0, 24)} onAdd={props.onAdd} />
    </>
  )
}

export function ProductPage(props: PageProps & { id: string }) {
  const { catalog } = props
  const product = catalog.products.find((p) => p.id === props.id)
  if (product === undefined) return <h1>This product is not in the shop</h1>
  const category = catalog.categories.find((c) => c.id === product.category)
  const inBasket = props.basket.find((l) => l.id === product.id)?.quantity ?? 0
  return (
    <>
      <nav class="crumbs" aria-label="Breadcrumb">
        <a href="/">Home</a> › <a href={`/c/${product.category}`}>{category?.title}</a>
      </nav>
      <article class="product">
        <Picture product={product} size="big" />
        <div>
          <h1>{product.title}</h1>
          <p class="price big">{money(product)}</p>
          <p class="muted">Stock code {product.id}</p>
          <button type="button" class="primary" onClick={() => props.onAdd(product)}>
            Add to basket
          </button>
          <p class="muted small">
            {inBasket === 0 ? '' : `${inBasket} in your basket. `}
            <a href="/basket">See your basket</a>
          </p>
        </div>
      </article>
      {/* No category here: what goes with a product is often from another one. */}
      <Row props={props} context={{ placement: 'product', product }} />
    </>
  )
}

/** One line of the basket: the product, its quantity (0 removes it), its price and a remove button. */
function BasketLineItem({
  shopper,
  line,
  product,
}: {
  shopper: string
  line: BasketLine
  product: Product
}) {
  return (
    <li class="basket-line" data-item={product.id}>
      <Picture product={product} />
      <div class="basket-what">
        <a href={`/p/${encodeURIComponent(product.id)}`}>{product.title}</a>
        <span class="muted small">{money(product)} each</span>
      </div>
      <label class="quantity">
        <span>Quantity</span>
        <input
          type="number"
          min={0}
          max={99}
          value={line.quantity}
          onChange={(e) =>
            setBasketQuantity(shopper, product.id, Number((e.target as HTMLInputElement).value))
          }
        />
      </label>
      <span class="price">{money({ ...product, price: product.price * line.quantity })}</span>
      <button
        type="button"
        class="link-button"
        aria-label={`Remove ${product.title}`}
        onClick={() => setBasketQuantity(shopper, product.id, 0)}
      >
        Remove
      </button>
    </li>
  )
}

export function BasketPage(props: PageProps) {
  const { catalog, basket, shopper } = props
  const lines = basket
    .map((line) => ({ line, product: catalog.products.find((p) => p.id === line.id) }))
    .filter((l): l is { line: BasketLine; product: Product } => l.product !== undefined)
  const total = lines.reduce((sum, l) => sum + l.product.price * l.line.quantity, 0)
  const currency = lines[0]?.product.currency ?? 'GBP'

  function placeOrder() {
    for (const { line, product } of lines) {
      props.candor.track('purchase', {
        item: product.id,
        quantity: line.quantity,
        price: product.price,
        currency: product.currency,
      })
    }
    void props.candor.flush().catch(() => undefined)
    emptyBasket(shopper)
    props.say('Thank you: your order is placed (a demo: nothing is charged or sent).')
  }

  return (
    <>
      <h1>Your basket</h1>
      {lines.length === 0 ? (
        <p>Your basket is empty.</p>
      ) : (
        <section class="basket" aria-label="Basket contents">
          <ul class="basket-lines">
            {lines.map(({ line, product }) => (
              <BasketLineItem key={product.id} shopper={shopper} line={line} product={product} />
            ))}
          </ul>
          <p class="basket-total">
            Total{' '}
            <strong class="price">
              {new Intl.NumberFormat('en-GB', { style: 'currency', currency }).format(total)}
            </strong>
          </p>
          <button type="button" class="primary" onClick={placeOrder}>
            Place order (demo)
          </button>
        </section>
      )}
      <Row props={props} context={{ placement: 'cart', exclude: lines.map((l) => l.product.id) }} />
    </>
  )
}
