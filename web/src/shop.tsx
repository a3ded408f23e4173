/**
 * The demo shop: a retailer that uses Candor through the browser SDK. This file is its shell: who is
 * shopping, their privacy choices (the banner opens on the first visit), the header, the basket count and
 * the footer; the pages themselves are in shop-pages.tsx, their rows in shop-row.tsx, the header and footer
 * in shop-frame.tsx, the Candor client and the privacy choices in use-shop-choices.ts.
 */
import { useEffect, useState } from 'preact/hooks'
import type { Candor } from '../../sdk/src/candor.js'
import { type DemoCatalog, type Notice, type Product, api, loadNotice } from './api.js'
import { addToBasketStore, useBasket } from './basket.js'
import { ConsentDialog } from './consent-dialog.js'
import { ShopAssistant } from './shop-assistant.js'
import { type ShopperSession, demoSession } from './session.js'
import { ShopFooter, ShopHeader } from './shop-frame.js'
import { BasketPage, CategoryPage, HomePage, type PageProps, ProductPage } from './shop-pages.js'
import { useShopCandor, useShopChoices } from './use-shop-choices.js'
import './shop.css'

export type ShopRoute =
  | { page: 'home' }
  | { page: 'category'; id: string }
  | { page: 'product'; id: string }
  | { page: 'basket' }

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

/**
 * Keeps the item in the basket, and tells Candor as the shopper's choices allow (a `cart` event); returns
 * how many of it the basket now holds.
 */
function addToBasket(candor: Candor, shopper: string, product: Product, recommId?: string): number {
  const quantity = addToBasketStore(shopper, product.id)
  candor.track('cart', {
    item: product.id,
    quantity: 1,
    ...(recommId === undefined || recommId === 'fallback' ? {} : { recommId }),
  })
  // A basket is a clear signal for this visit's suggestions: send it now rather than in a second.
  void candor.flush().catch(() => undefined)
  return quantity
}

/** The page the route names. */
function ShopPage({ route, pageProps }: { route: ShopRoute; pageProps: PageProps }) {
  return route.page === 'home' ? (
    <HomePage {...pageProps} />
  ) : route.page === 'category' ? (
    <CategoryPage {...pageProps} id={route.id} />
  ) : route.page === 'product' ? (
    <ProductPage {...pageProps} id={route.id} />
  ) : (
    <BasketPage {...pageProps} />
  )
}

function ShopFor(props: {
  route: ShopRoute
  catalog: DemoCatalog
  session: ShopperSession
  notice: Notice
}) {
  const { route, catalog, session, notice } = props
  const [status, setStatus] = useState('')
  const basket = useBasket(session.ref)
  const candor = useShopCandor(session, catalog)
  const choices = useShopChoices(candor)
  const { allowed, decided, dialogOpen, setDialogOpen } = choices

  // Tracking goes through the SDK, which holds events in memory until the shopper decides.
  useEffect(() => {
    if (route.page === 'product')
      candor.track('view', { item: route.id, placement: 'product_page' })
  }, [candor, route])

  if (choices.failure !== undefined) {
    return (
      <main id="shop" class="page">
        <p role="alert">The shop could not start: {choices.failure}</p>
      </main>
    )
  }

  function onAdd(product: Product, recommId?: string) {
    const quantity = addToBasket(candor, session.ref, product, recommId)
    setStatus(`${product.title} is in your basket (${quantity}).`)
  }

  const pageProps: PageProps = {
    candor,
    catalog,
    shopper: session.ref,
    token: session.token,
    basket,
    // Rows wait while the first privacy choice is asked: the banner asks it, not a row behind it.
    rowsReady: allowed !== undefined && !(dialogOpen && decided === false),
    choicesVersion: choices.choicesVersion,
    onAdd,
    onChoicesChanged: choices.choicesChanged,
    say: setStatus,
  }
  return (
    <>
      <div id="shop">
        <ShopHeader
          route={route}
          catalog={catalog}
          inBasket={basket.reduce((n, l) => n + l.quantity, 0)}
        />
        <main class="page">
          <p role="status" class="shop-status">
            {status}
          </p>
          <ShopPage route={route} pageProps={pageProps} />
        </main>
        <ShopFooter
          candor={candor}
          catalog={catalog}
          session={session}
          onPrivacyChoices={() => setDialogOpen(true)}
        />
      </div>
      {/* Outside #shop: the panel is a modal dialog, and the shop behind it goes inert. */}
      <ShopAssistant token={session.token} shopper={session.ref} hidden={dialogOpen} />
      {dialogOpen ? (
        <ConsentDialog
          notice={notice}
          gpc={candor.gpc}
          {...(decided === true && allowed !== undefined ? { current: allowed } : {})}
          onDecide={(decisions, onDevice) => choices.decide(decisions, notice.version, onDevice)}
          onLater={choices.later}
        />
      ) : null}
    </>
  )
}
