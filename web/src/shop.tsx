/**
 * The demo shop: home, category and product pages of a retailer that uses Candor through the browser SDK.
 * Each page has a recommendation row; the consent banner opens on the first visit.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks'
import { type Candor, type RecommendationResponse, createCandor } from '../../sdk/src/candor.js'
import {
  type DemoCatalog,
  type Notice,
  type Product,
  api,
  isMissingRoute,
  loadNotice,
} from './api.js'
import { ConsentDialog } from './consent-dialog.js'
import { type ShopperSession, demoSession } from './session.js'

export type ShopRoute =
  { page: 'home' } | { page: 'category'; id: string } | { page: 'product'; id: string }

const LATER_KEY = 'candor-demo.later'
const PROMPT_KEY = 'candor-demo.prompted'
const PROMPT_PERIOD_MS = 30 * 24 * 3600 * 1000
const PERSONAL = 'personalize.recommendations'

function money(product: Product): string {
  return new Intl.NumberFormat('en-GB', { style: 'currency', currency: product.currency }).format(
    product.price,
  )
}

function Tile({ product }: { product: Product }) {
  const initials = product.title
    .split(' ')
    .slice(0, 2)
    .map((w) => w.charAt(0))
    .join('')
  return (
    <div class={`tile tile-${product.category}`} aria-hidden="true">
      {initials}
    </div>
  )
}

function ProductCard({ product }: { product: Product }) {
  return (
    <li class="card">
      <a href={`/p/${encodeURIComponent(product.id)}`}>
        <Tile product={product} />
        <span class="card-title">{product.title}</span>
      </a>
      <span class="price">{money(product)}</span>
    </li>
  )
}

/** A non-personal row built from the shop's own catalog, for when Candor cannot answer. */
function fallbackRow(
  catalog: DemoCatalog,
  exclude: string | undefined,
  limit: number,
): RecommendationResponse {
  return {
    recommId: 'fallback',
    level: 'off',
    levelReason: 'recommendations_unavailable',
    items: catalog.products
      .filter((p) => p.id !== exclude)
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

interface RowProps {
  candor: Candor
  catalog: DemoCatalog
  notice: Notice
  placement: string
  item?: string
  /** The shopper has never chosen about personal suggestions (no record), and GPC is not on. */
  undecided: boolean
  onConsentChanged: () => void
}

function RecommendationRow(props: RowProps) {
  const { candor, catalog, placement, item } = props
  const host = useRef<HTMLDivElement>(null)
  const [version, setVersion] = useState(0)
  const [response, setResponse] = useState<RecommendationResponse>()
  const [note, setNote] = useState<string>()
  const [prompt, setPrompt] = useState<{ title: string; benefit: string; noticeVersion: string }>()

  useEffect(() => {
    let cancelled = false
    candor
      .recommendations({ placement, limit: 6, ...(item === undefined ? {} : { item }) })
      .catch((error: unknown) => {
        setNote(
          isMissingRoute(error) || (error as { status?: number }).status === 404
            ? 'Suggestions from Candor are not available on this server yet; showing the shop’s best sellers.'
            : 'Suggestions are not available right now; showing the shop’s best sellers.',
        )
        return fallbackRow(catalog, item, 6)
      })
      .then((answer) => {
        if (cancelled) return
        setResponse(answer)
        // Progressive consent: the server's prompt when it sends one; otherwise ask at most once a period.
        if (answer.prompt !== undefined) setPrompt(answer.prompt)
        else if (props.undecided && answer.level !== 'personal') {
          const last = Number(localStorage.getItem(PROMPT_KEY) ?? '0')
          const purpose = props.notice.groups
            .flatMap((g) => g.purposes)
            .find((p) => p.key === PERSONAL)
          if (purpose !== undefined && Date.now() - last > PROMPT_PERIOD_MS) {
            localStorage.setItem(PROMPT_KEY, String(Date.now()))
            setPrompt({
              title: purpose.title,
              benefit: purpose.youGet,
              noticeVersion: props.notice.version,
            })
          }
        }
      })
    return () => {
      cancelled = true
    }
  }, [placement, item, version])

  useEffect(() => {
    if (host.current === null || response === undefined) return
    candor.renderRow(host.current, response, {
      href: (i) => `/p/${encodeURIComponent(i.id)}`,
      onStopPersonalizing: () => setVersion((v) => v + 1),
    })
  }, [response])

  async function answerPrompt(yes: boolean) {
    await candor.decide(
      { [PERSONAL]: yes ? 'granted' : 'denied' },
      props.notice.version,
      'progressive_prompt',
    )
    if (yes) await candor.setLevel('personal')
    setPrompt(undefined)
    props.onConsentChanged()
    setVersion((v) => v + 1)
  }

  return (
    <div class="rec-block" data-placement={placement}>
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

export function Shop({ route }: { route: ShopRoute }) {
  const [catalog, setCatalog] = useState<DemoCatalog>()
  const [session, setSession] = useState<ShopperSession>()
  const [notice, setNotice] = useState<Notice>()
  const [allowed, setAllowed] = useState<Record<string, boolean>>()
  const [decided, setDecided] = useState<boolean>()
  const [dialogOpen, setDialogOpen] = useState(false)
  const [failure, setFailure] = useState<string>()
  const [added, setAdded] = useState<string>()
  const [consentVersion, setConsentVersion] = useState(0)

  useEffect(() => {
    Promise.all([api<DemoCatalog>('GET', '/demo/catalog'), demoSession(), loadNotice()])
      .then(([c, s, n]) => {
        setCatalog(c)
        setSession(s)
        setNotice(n)
      })
      .catch((e: unknown) => setFailure(e instanceof Error ? e.message : String(e)))
  }, [])

  const candor = useMemo(() => {
    if (session === undefined) return undefined
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
    if (candor === undefined) return
    candor
      .loadConsent()
      .then(({ allowed: a, decided: d }) => {
        setAllowed(a)
        setDecided(d)
        if (d) candor.setConsent(a)
        else if (sessionStorage.getItem(LATER_KEY) === null) setDialogOpen(true)
      })
      .catch((e: unknown) => setFailure(e instanceof Error ? e.message : String(e)))
  }, [candor, consentVersion])

  // Tracking goes through the SDK, which holds events in memory until the shopper decides.
  useEffect(() => {
    if (candor === undefined) return
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
  if (
    catalog === undefined ||
    session === undefined ||
    notice === undefined ||
    candor === undefined
  ) {
    return <main class="page">Loading…</main>
  }

  const categoryTitle = (id: string) => catalog.categories.find((c) => c.id === id)?.title ?? id
  const undecided = decided === false && !candor.gpc
  const rowProps = {
    candor,
    catalog,
    notice,
    undecided,
    onConsentChanged: () => setConsentVersion((v) => v + 1),
  }

  async function onDecide(decisions: Record<string, 'granted' | 'denied'>) {
    if (candor === undefined || notice === undefined) return
    await candor.decide(decisions, notice.version, 'banner')
    await candor.setLevel(decisions[PERSONAL] === 'granted' ? 'personal' : 'session')
    setDialogOpen(false)
    setConsentVersion((v) => v + 1)
  }

  let body
  if (route.page === 'home') {
    body = (
      <>
        <section class="hero">
          <h1>Gifts for every day</h1>
          <p>
            This is a demo shop. Its suggestions come from <strong>Candor</strong>: each one says
            why it is shown, and you decide what Candor may use. Try “Why?”, “Not this” and your{' '}
            <a href="/privacy">privacy center</a>.
          </p>
        </section>
        <RecommendationRow {...rowProps} key={`home-${consentVersion}`} placement="home" />
        <h2>Best sellers</h2>
        <ul class="grid">
          {catalog.products.slice(0, 12).map((p) => (
            <ProductCard product={p} key={p.id} />
          ))}
        </ul>
      </>
    )
  } else if (route.page === 'category') {
    const products = catalog.products.filter((p) => p.category === route.id)
    body = (
      <>
        <h1>{categoryTitle(route.id)}</h1>
        <RecommendationRow {...rowProps} key={`cat-${consentVersion}`} placement="category" />
        <h2>All {products.length} products</h2>
        <ul class="grid">
          {products.slice(0, 24).map((p) => (
            <ProductCard product={p} key={p.id} />
          ))}
        </ul>
      </>
    )
  } else {
    const product = catalog.products.find((p) => p.id === route.id)
    body =
      product === undefined ? (
        <h1>This product is not in the shop</h1>
      ) : (
        <>
          <p class="crumbs">
            <a href="/">Home</a> ›{' '}
            <a href={`/c/${product.category}`}>{categoryTitle(product.category)}</a>
          </p>
          <article class="product">
            <Tile product={product} />
            <div>
              <h1>{product.title}</h1>
              <p class="price big">{money(product)}</p>
              <p class="muted">Stock code {product.id}</p>
              <button
                type="button"
                class="primary"
                onClick={() => {
                  candor.track('cart', { item: product.id, quantity: 1, placement: 'product_page' })
                  setAdded(product.title)
                }}
              >
                Add to basket
              </button>
              <p role="status" class="added">
                {added === undefined ? '' : `${added} is in your basket.`}
              </p>
            </div>
          </article>
          <RecommendationRow
            {...rowProps}
            key={`p-${product.id}-${consentVersion}`}
            placement="product"
            item={product.id}
          />
        </>
      )
  }

  return (
    <>
      <div id="shop">
        <header class="site-header">
          <a class="brand" href="/">
            Demo Giftware
          </a>
          <nav aria-label="Categories">
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
        </header>
        <main class="page">{body}</main>
        <footer class="site-footer">
          <button type="button" class="link-button" onClick={() => setDialogOpen(true)}>
            Privacy choices
          </button>
          <button type="button" class="link-button" onClick={() => candor.openPrivacyCenter()}>
            Privacy center
          </button>
          <a href="/v1/notice?format=html">Privacy notice</a>
          <a href="/console">Staff console</a>
          {candor.gpc ? (
            <span class="muted">Global Privacy Control is on in this browser.</span>
          ) : null}
          <span class="muted small">Products: UCI Online Retail (Chen, 2015), CC BY 4.0.</span>
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
