/**
 * The privacy center after an erasure: nothing of the erased shopper is shown or asked for again. The
 * browser has already forgotten them (`forgetVisitor`), so the page makes no call with their old token.
 */
import { useEffect, useRef } from 'preact/hooks'
import { type RightsRequest, formatDate } from './api.js'

export function ErasedView(props: { request: RightsRequest; controller: string }) {
  const heading = useRef<HTMLHeadingElement>(null)
  useEffect(() => {
    // The whole page changed under the shopper's hands: start reading from its heading.
    heading.current?.focus()
    window.scrollTo(0, 0)
  }, [])
  const when = props.request.completedAt ?? undefined
  return (
    <main class="page privacy" data-state="erased">
      <p class="crumbs">
        <a href="/">Back to the shop</a>
      </p>
      <h1>Your privacy center</h1>
      <section class="panel erased-panel" aria-labelledby="erased-h">
        <h2 id="erased-h" tabIndex={-1} ref={heading}>
          Your data is erased
        </h2>
        <p data-testid="erased">
          {props.controller} no longer holds your history, your privacy choices, your
          personalization level or what our suggestion system learned from you
          {when === undefined ? '' : ` (erased ${formatDate(when)})`}. We keep only a note that an
          erasure happened, with nothing about you in it.
        </p>
        <p>
          This browser has forgotten you too. If you go back to the shop, you start as a new visitor
          and are asked for your privacy choices again.
        </p>
        <p class="small muted">Reference for the erasure: {props.request.id}</p>
        <p>
          <a class="button-link" href="/">
            Back to the shop as a new visitor
          </a>
        </p>
      </section>
    </main>
  )
}
