/**
 * Who is shopping, for the demo shop. A real shop's backend knows its signed-in customer and asks Candor
 * for a shopper token (`POST /v1/shopper-tokens`); the demo's backend (`POST /demo/session`, demo mode only)
 * does that for a demo shopper or for a new visitor.
 *
 * The visitor's reference is kept in localStorage: it is the shop's own first-party id, needed to remember
 * the shopper's privacy choices (the charter's `essential.service`). Nothing else is stored before consent.
 */
import { type DemoSession, api } from './api.js'

const VISITOR_KEY = 'candor-demo.visitor'

export interface ShopperSession {
  ref: string
  token: string
  name: string
  /** For a page outside the demo: the token came in the URL fragment and cannot be refreshed here. */
  fixed: boolean
}

function storedRef(): string | undefined {
  try {
    return localStorage.getItem(VISITOR_KEY) ?? undefined
  } catch {
    return undefined
  }
}

/** Opens (or continues) the demo session; `shopper` switches to a demo shopper, `null` to a new visitor. */
export async function demoSession(shopper?: string | null): Promise<ShopperSession> {
  const ref = shopper === null ? undefined : (shopper ?? storedRef())
  const session = await api<DemoSession>('POST', '/demo/session', {
    body: ref === undefined ? {} : { ref },
  })
  try {
    localStorage.setItem(VISITOR_KEY, session.ref)
  } catch {
    // Storage blocked: the visit still works, the choices are asked again next time.
  }
  return { ref: session.ref, token: session.token, name: session.name, fixed: false }
}

/**
 * The session for the privacy center: `#subject=...&token=...` when a shop links here with a token, else
 * the demo session.
 */
export async function privacySession(): Promise<ShopperSession | undefined> {
  const hash = new URLSearchParams(location.hash.slice(1))
  const token = hash.get('token')
  const subject = hash.get('subject')
  if (token !== null && subject !== null) return { ref: subject, token, name: subject, fixed: true }
  try {
    return await demoSession()
  } catch {
    return undefined
  }
}

/**
 * After an erasure: this browser forgets the erased shopper. The visitor reference goes (the shop makes a
 * new visitor next time), and so do the SDK's per-visit keys (its pseudonymous session id and picks).
 */
export function forgetVisitor(): void {
  try {
    localStorage.removeItem(VISITOR_KEY)
    for (const key of ['candor.session', 'candor.picked']) sessionStorage.removeItem(key)
  } catch {
    // Storage blocked: nothing was kept.
  }
  if (location.hash.includes('token=')) {
    // A token that came in the link belongs to the erased subject: drop it from the address and history.
    history.replaceState(null, '', location.pathname + location.search)
  }
}
