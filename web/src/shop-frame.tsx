/**
 * The demo shop's frame around each page: the header (brand, basket count, categories) and the footer
 * (privacy choices, privacy center, notice, console, and which demo shopper is browsing).
 */
import type { Candor } from '../../sdk/src/candor.js'
import type { DemoCatalog } from './api.js'
import { type ShopperSession, demoSession } from './session.js'
import type { ShopRoute } from './shop.js'
import { LATER_KEY } from './use-shop-choices.js'

export function ShopHeader(props: { route: ShopRoute; catalog: DemoCatalog; inBasket: number }) {
  const { route, inBasket } = props
  return (
    <header class="site-header">
      <div class="header-top">
        <a class="brand" href="/">
          Demo Giftware
        </a>
        <a
          class="basket-link"
          href="/basket"
          aria-current={route.page === 'basket' ? 'page' : undefined}
        >
          Basket <span class="count">{inBasket}</span>
          <span class="visually-hidden"> {inBasket === 1 ? 'item' : 'items'}</span>
        </a>
      </div>
      <nav aria-label="Categories" class="categories">
        <ul>
          {props.catalog.categories.map((c) => (
            <li key={c.id}>
              <a
                href={`/c/${c.id}`}
                aria-current={route.page === 'category' && route.id === c.id ? 'page' : undefined}
              >
                {c.title}
              </a>
            </li>
          ))}
        </ul>
      </nav>
    </header>
  )
}

/** Switches to a demo shopper or a new visitor: a new session, then the page again. */
function ShopperPicker(props: { catalog: DemoCatalog; session: ShopperSession }) {
  const { catalog, session } = props
  return (
    <div class="who">
      <label for="shopper">Browsing as</label>
      <select
        id="shopper"
        value={session.ref}
        onChange={(e) => {
          const ref = (e.target as HTMLSelectElement).value
          sessionStorage.removeItem(LATER_KEY)
          void demoSession(ref === 'new' ? null : ref).then(() => location.reload())
        }}
      >
        {catalog.shoppers.some((s) => s.ref === session.ref) ? null : (
          <option value={session.ref}>This visitor</option>
        )}
        {catalog.shoppers.map((s) => (
          <option value={s.ref} key={s.ref}>
            {s.name}
          </option>
        ))}
        <option value="new">A new visitor</option>
      </select>
    </div>
  )
}

export function ShopFooter(props: {
  candor: Candor
  catalog: DemoCatalog
  session: ShopperSession
  onPrivacyChoices: () => void
}) {
  const { candor } = props
  return (
    <footer class="site-footer">
      <button type="button" class="link-button" onClick={props.onPrivacyChoices}>
        Privacy choices
      </button>
      <button type="button" class="link-button" onClick={() => candor.openPrivacyCenter()}>
        Privacy center
      </button>
      <a href="/v1/notice?format=html">Privacy notice</a>
      <a href="/console">Staff console</a>
      <ShopperPicker catalog={props.catalog} session={props.session} />
      {candor.gpc ? <span class="muted">Global Privacy Control is on in this browser.</span> : null}
      <span class="muted small">
        Products: UCI Online Retail (Chen, 2015), CC BY 4.0. Pictures drawn by the shop.
      </span>
    </footer>
  )
}
