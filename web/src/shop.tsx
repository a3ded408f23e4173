/**
 * The demo shop: a retailer that uses Candor through the browser SDK. This file is its shell: who is
 * shopping, their privacy choices (the banner opens on the first visit), the header, the basket count and
 * the footer; the pages themselves are in shop-pages.tsx, their rows in shop-row.tsx.
 */
import { useEffect, useMemo, useState } from 'preact/hooks'
import { type Candor, createCandor } from '../../sdk/src/candor.js'
import { type DemoCatalog, type Notice, type Product, api, loadNotice } from './api.js'
import { addToBasketStore, useBasket } from './basket.js'
import { ConsentDialog } from './consent-dialog.js'
import { type ShopperSession, demoSession } from './session.js'
import { BasketPage, CategoryPage, HomePage, type PageProps, ProductPage } from './shop-pages.js'
import './shop.css'

export type ShopRoute =
  | { page: 'home' }
  | { page: 'category'; id: string }
  | { page: 'product'; id: string }
  | { page: 'basket' }

const LATER_KEY = 'candor-demo.later'
const PERSONAL = 'personalize.recommendations'

export function Shop({ route }: { route: ShopRoute }) {
  const [catalog, setCatalog] = useState<DemoCatalog>()
  const [session, setSession] = useState<ShopperSession>()
  const [notice, setNotice] = useState<Notice>()
  const [failure, setFailure] = useState<string>()

  useEffect(() => {
    Promise.all([api<DemoCatalog>('GET', '/demo/catalog'), demoSession(), loadNotice()])
      .then(([c, s, n]) => {
        setCatalog(c)
        setSession(s)
        setNotice(n)
      })
      .catch((e: unknown) => setFailure(e instanceof Error ? e.message : String(e)))
  }, [])

  if (failure !== undefined) {
    return (
      <main id="shop" class="page">
        <p role="alert">The shop could not start: {failure}</p>
      </main>
    )
  }
  if (catalog === undefined || session === undefined || notice === undefined) {
    return <main class="page">Loading…</main>
  }
  return <ShopFor route={route} catalog={catalog} session={session} notice={notice} />
}

function ShopFor(props: {
  route: ShopRoute
  catalog: DemoCatalog
  session: ShopperSession
  notice: Notice
}) {
  const { route, catalog, session, notice } = props
  const [allowed, setAllowed] = useState<Record<string, boolean>>()
  const [decided, setDecided] = useState<boolean>()
  const [dialogOpen, setDialogOpen] = useState(false)
  const [failure, setFailure] = useState<string>()
  const [status, setStatus] = useState('')
  const [choicesVersion, setChoicesVersion] = useState(0)
  const basket = useBasket(session.ref)

  const candor = useMemo(() => {
    const instance = createCandor({
      subject: session.ref,
      token: session.token,
      refreshToken: async () => (await demoSession(session.ref)).token,
      flushIntervalMs: 1000,
    })
    ;(window as unknown as { candor: Candor }).candor = instance
    return instance
  }, [session])

  useEffect(() => {
    candor
      .loadConsent()
      .then(({ allowed: a, decided: d }) => {
        setAllowed(a)
        setDecided(d)
        if (d) candor.setConsent(a)
        else if (sessionStorage.getItem(LATER_KEY) === null) setDialogOpen(true)
      })
      .catch((e: unknown) => setFailure(e instanceof Error ? e.message : String(e)))
  }, [candor, choicesVersion])

  // Tracking goes through the SDK, which holds events in memory until the shopper decides.
  useEffect(() => {
    if (route.page === 'product')
      candor.track('view', { item: route.id, placement: 'product_page' })
  }, [candor, route])

  if (failure !== undefined) {
    return (
      <main id="shop" class="page">
        <p role="alert">The shop could not start: {failure}</p>
      </main>
    )
  }

  /** Keeps the item in the basket, and tells Candor as the shopper's choices allow (a `cart` event). */
  function onAdd(product: Product, recommId?: string) {
    const quantity = addToBasketStore(session.ref, product.id)
    candor.track('cart', {
      item: product.id,
      quantity: 1,
      ...(recommId === undefined || recommId === 'fallback' ? {} : { recommId }),
    })
    // A basket is a clear signal for this visit's suggestions: send it now rather than in a second.
    void candor.flush().catch(() => undefined)
    setStatus(`${product.title} is in your basket (${quantity}).`)
  }

  async function onDecide(decisions: Record<string, 'granted' | 'denied'>) {
    await candor.decide(decisions, notice.version, 'banner')
    await candor.setLevel(decisions[PERSONAL] === 'granted' ? 'personal' : 'session')
    setDialogOpen(false)
    setChoicesVersion((v) => v + 1)
  }

  const pageProps: PageProps = {
    candor,
    catalog,
    shopper: session.ref,
    basket,
    // Rows wait while the first privacy choice is asked: the banner asks it, not a row behind it.
    rowsReady: allowed !== undefined && !(dialogOpen && decided === false),
    choicesVersion,
    onAdd,
    onChoicesChanged: () => setChoicesVersion((v) => v + 1),
    say: setStatus,
  }
  const body =
    route.page === 'home' ? (
      <HomePage {...pageProps} />
    ) : route.page === 'category' ? (
      <CategoryPage {...pageProps} id={route.id} />
    ) : route.page === 'product' ? (
      <ProductPage {...pageProps} id={route.id} />
    ) : (
      <BasketPage {...pageProps} />
    )
  const inBasket = basket.reduce((n, l) => n + l.quantity, 0)

  return (
    <>
      <div id="shop">
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
              {catalog.categories.map((c) => (
                <li key={c.id}>
                  <a
                    href={`/c/${c.id}`}
                    aria-current={
                      route.page === 'category' && route.id === c.id ? 'page' : undefined
                    }
                  >
                    {c.title}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
        </header>
        <main class="page">
          <p role="status" class="shop-status">
            {status}
          </p>
          {body}
        </main>
        <footer class="site-footer">
          <button type="button" class="link-button" onClick={() => setDialogOpen(true)}>
            Privacy choices
          </button>
          <button type="button" class="link-button" onClick={() => candor.openPrivacyCenter()}>
            Privacy center
          </button>
          <a href="/v1/notice?format=html">Privacy notice</a>
          <a href="/console">Staff console</a>
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
          {candor.gpc ? (
            <span class="muted">Global Privacy Control is on in this browser.</span>
          ) : null}
          <span class="muted small">
            Products: UCI Online Retail (Chen, 2015), CC BY 4.0. Pictures drawn by the shop.
          </span>
        </footer>
      </div>
      {dialogOpen ? (
        <ConsentDialog
          notice={notice}
          gpc={candor.gpc}
          {...(decided === true && allowed !== undefined ? { current: allowed } : {})}
          onDecide={onDecide}
          onLater={() => {
            sessionStorage.setItem(LATER_KEY, '1')
            setDialogOpen(false)
          }}
        />
      ) : null}
    </>
  )
}
