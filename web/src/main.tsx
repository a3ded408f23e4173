import { render } from 'preact'
import { Console } from './console.js'
import { PrivacyCenter } from './privacy.js'
import { SuggestionsPage } from './privacy-suggestions.js'
import { Shop, type ShopRoute } from './shop.js'
import './styles.css'

/** One bundle, three pages: the server answers each of these paths with the same index.html. */
function route(pathname: string) {
  const path = pathname.replace(/\/+$/, '') || '/'
  if (path === '/privacy') return <PrivacyCenter />
  if (path === '/privacy/suggestions') return <SuggestionsPage />
  if (path === '/console') return <Console />
  const category = /^\/c\/([^/]+)$/.exec(path)
  const product = /^\/p\/([^/]+)$/.exec(path)
  const shopRoute: ShopRoute =
    path === '/basket'
      ? { page: 'basket' }
      : category?.[1] !== undefined
        ? { page: 'category', id: decodeURIComponent(category[1]) }
        : product?.[1] !== undefined
          ? { page: 'product', id: decodeURIComponent(product[1]) }
          : { page: 'home' }
  return <Shop route={shopRoute} />
}

const titles: Record<string, string> = {
  '/privacy': 'Your privacy center',
  '/privacy/suggestions': 'How suggestions work',
  '/console': 'Staff console',
}
document.title = `${titles[location.pathname] ?? 'Demo Giftware'} · Candor`
render(route(location.pathname), document.getElementById('app')!)
