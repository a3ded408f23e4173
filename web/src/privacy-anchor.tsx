/**
 * The privacy center's anchors (issue 21): a recommendation's "Why?" link lands on `#why-<item>` (that
 * item in "Why you see each suggestion") and an offer's on `#offer-<id>` (a section saying why that offer
 * is shown, from `GET /v1/offers/{id}/why`). Landing scrolls to the part named and moves the focus to it,
 * so a keyboard or screen-reader user starts there too.
 */
import { useEffect, useState } from 'preact/hooks'
import { clientFor, ok } from './client.js'
import { Status, useLoad } from './console/load.js'
import type { ShopperSession } from './session.js'

/** The location's hash without its `#`, decoded (a malformed escape: as it is). */
function decodedHash(): string {
  const hash = location.hash.slice(1)
  try {
    return decodeURIComponent(hash)
  } catch {
    return hash
  }
}

/** The element the location's hash names (decoded), if the page holds it. */
function anchored(): HTMLElement | null {
  const id = decodedHash()
  return id === '' ? null : document.getElementById(id)
}

/** Scrolls to `target` and focuses it (made focusable when it is not). */
function goTo(target: HTMLElement): void {
  if (!target.hasAttribute('tabindex')) target.setAttribute('tabindex', '-1')
  target.scrollIntoView({ block: 'start' })
  target.focus({ preventScroll: true })
}

/** Scrolls to the element the hash names and focuses it; false when the page does not hold it (yet). */
export function focusAnchor(): boolean {
  const target = anchored()
  if (target === null) return false
  goTo(target)
  return true
}

/**
 * Keeps the focused anchor in view while the sections above it fill in (they load on their own and
 * push it down): after each render of the page, scrolls back to it if it still has the focus.
 */
export function useAnchorKept(): void {
  useEffect(() => {
    const target = anchored()
    if (target !== null && document.activeElement === target)
      target.scrollIntoView({ block: 'start' })
  })
}

/** Gives each suggestion in the row its `why-<item>` anchor and, when the hash names one, goes there. */
export function anchorRow(host: HTMLElement): void {
  host.querySelectorAll<HTMLElement>('li[data-item]').forEach((li) => {
    li.id = `why-${li.dataset.item ?? ''}`
  })
  if (!location.hash.startsWith('#why-')) return
  // The item may have left the suggestions since the link was made: its explanation's section then.
  if (!focusAnchor()) {
    const section = document.getElementById('why')
    if (section !== null) goTo(section)
  }
}

/** The offer id `#offer-<id>` names, followed as the hash changes. */
function useOfferHash(): string | undefined {
  const read = () => {
    const hash = decodedHash()
    return hash.startsWith('offer-') ? hash.slice('offer-'.length) : undefined
  }
  const [id, setId] = useState(read)
  useEffect(() => {
    const changed = () => setId(read())
    window.addEventListener('hashchange', changed)
    return () => window.removeEventListener('hashchange', changed)
  }, [])
  return id
}

/** "Why you were shown this offer": only when the page was opened from an offer's "why" link. */
export function OfferWhySection({ session }: { session: ShopperSession }) {
  const id = useOfferHash()
  const [why] = useLoad(id === undefined ? undefined : `${session.token} offer-why ${id}`, () =>
    ok(
      clientFor(session.token).GET('/v1/offers/{id}/why', {
        params: { path: { id: id! }, query: { subject: session.ref } },
      }),
    ),
  )
  useEffect(() => {
    if (why.state === 'ok') focusAnchor()
  }, [why.state, id])
  if (id === undefined) return null
  return (
    <section class="panel" aria-labelledby="offer-why-h" id={`offer-${id}`} data-testid="offer-why">
      <Status loaded={why}>
        {(w) => (
          <>
            <h2 id="offer-why-h">Why you were shown “{w.offer.title}”</h2>
            <p>{w.sentence}</p>
            {w.evidence.length === 0 ? null : (
              <ul>
                {w.evidence.map((e) => (
                  <li key={e.id}>{e.title}</li>
                ))}
              </ul>
            )}
            <p>
              For this offer, {w.dataReason}. It rests on the purpose{' '}
              <span class="mono">{w.offer.purpose}</span>: you can turn it off under{' '}
              <a href="#consents">Your choices</a>.
            </p>
          </>
        )}
      </Status>
    </section>
  )
}
