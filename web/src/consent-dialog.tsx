/**
 * The consent banner: a modal dialog (aria-modal, focus kept inside) listing the purposes the shopper may
 * choose, in the notice's own words. No box is ticked in advance; "Accept all" and "Reject all" look the
 * same and sit side by side, in a bar that stays in view below the scrolling text (on a phone too). With
 * Global Privacy Control on, the dialog says so and the purposes GPC covers stay off whatever is pressed.
 */
import { useLayoutEffect, useRef, useState } from 'preact/hooks'
import type { Notice, NoticePurpose } from './api.js'

export interface ConsentDialogProps {
  notice: Notice
  gpc: boolean
  /** The current decisions, to start from when the shopper reopens the dialog. */
  current?: Record<string, boolean>
  onDecide: (decisions: Record<string, 'granted' | 'denied'>) => Promise<void>
  onLater?: () => void
}

/**
 * Purposes the shopper can choose here: all but those needed to run the shop, and those that use a special
 * category, which are only ever turned on by themselves (in the privacy center), never with "Accept all".
 */
export function choosablePurposes(notice: Notice): NoticePurpose[] {
  return notice.groups
    .filter((g) => g.id !== 'needed' && g.id !== 'only_if_you_turn_it_on')
    .flatMap((g) => g.purposes)
}

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]), [tabindex]:not([tabindex="-1"])'

export function ConsentDialog(props: ConsentDialogProps) {
  const { notice, gpc } = props
  const purposes = choosablePurposes(notice)
  const blocked = new Set(gpc ? purposes.filter((p) => p.saleOrSharing).map((p) => p.key) : [])
  const needed = notice.groups.find((g) => g.id === 'needed')?.purposes ?? []
  const [chosen, setChosen] = useState<Record<string, boolean>>(() =>
    Object.fromEntries(
      purposes.map((p) => [p.key, !blocked.has(p.key) && props.current?.[p.key] === true]),
    ),
  )
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string>()
  const dialog = useRef<HTMLDivElement>(null)

  // A layout effect: the focus moves in and the page behind goes inert in the same task as the dialog
  // appears, so no keystroke can reach the page in between (an effect ran a frame later).
  useLayoutEffect(() => {
    const node = dialog.current
    if (node === null) return
    const previous = document.activeElement as HTMLElement | null
    node.querySelector<HTMLElement>('h2')?.focus()
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape' && props.onLater !== undefined) {
        event.preventDefault()
        props.onLater()
        return
      }
      if (event.key !== 'Tab') return
      const items = [...node.querySelectorAll<HTMLElement>(FOCUSABLE)]
      const first = items[0]
      const last = items[items.length - 1]
      if (first === undefined || last === undefined) return
      const active = document.activeElement
      if (event.shiftKey && (active === first || !node.contains(active))) {
        event.preventDefault()
        last.focus()
      } else if (!event.shiftKey && (active === last || !node.contains(active))) {
        event.preventDefault()
        first.focus()
      }
    }
    document.addEventListener('keydown', onKey, true)
    // Whatever else is on the page cannot be reached while the dialog is open.
    const app = document.getElementById('shop')
    app?.setAttribute('inert', '')
    return () => {
      document.removeEventListener('keydown', onKey, true)
      app?.removeAttribute('inert')
      previous?.focus?.()
    }
  }, [])

  async function decide(all: boolean | undefined) {
    const decisions: Record<string, 'granted' | 'denied'> = {}
    for (const purpose of purposes) {
      // GPC has already said no for these (Candor recorded it from the request header): leave that record be.
      if (blocked.has(purpose.key)) continue
      const yes = all === undefined ? chosen[purpose.key] === true : all
      decisions[purpose.key] = yes && !blocked.has(purpose.key) ? 'granted' : 'denied'
    }
    setBusy(true)
    setError(undefined)
    try {
      await props.onDecide(decisions)
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e))
      setBusy(false)
    }
  }

  return (
    <div id="consent-layer" class="overlay">
      <div
        ref={dialog}
        class="dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby="consent-title"
        aria-describedby="consent-intro"
      >
        <div class="dialog-scroll">
          <h2 id="consent-title" tabIndex={-1}>
            Your privacy choices
          </h2>
          <p id="consent-intro">
            {notice.controller.name} uses Candor to suggest products. Choose what you allow. Nothing
            is ticked for you, and you can change your mind at any time in the{' '}
            <a href="/privacy">privacy center</a>.
          </p>
          {gpc ? (
            <p class="gpc-note" role="note" data-testid="gpc-note">
              <strong>Your browser sent Global Privacy Control.</strong> We treat it as a "no" to
              selling or sharing your data and to adverts on other websites, so these stay off:{' '}
              {purposes
                .filter((p) => blocked.has(p.key))
                .map((p) => p.title)
                .join(', ')}
              .
            </p>
          ) : null}
          <fieldset class="purposes">
            <legend>What you allow</legend>
            {purposes.map((purpose) => (
              <div class="purpose" key={purpose.key}>
                <input
                  type="checkbox"
                  id={`purpose-${purpose.key}`}
                  name={purpose.key}
                  checked={chosen[purpose.key] === true}
                  disabled={blocked.has(purpose.key) || busy}
                  aria-describedby={`purpose-${purpose.key}-text`}
                  onChange={(e) =>
                    setChosen({ ...chosen, [purpose.key]: (e.target as HTMLInputElement).checked })
                  }
                />
                <label for={`purpose-${purpose.key}`}>
                  <strong>{purpose.title}</strong>
                  {blocked.has(purpose.key) ? (
                    <span class="tag">off: Global Privacy Control</span>
                  ) : null}
                </label>
                <p id={`purpose-${purpose.key}-text`} class="purpose-text">
                  {purpose.youGet} {purpose.itCosts.keptFor}
                  {purpose.itCosts.sharedWith.length > 0
                    ? ` Shared with ${purpose.itCosts.sharedWith.join(', ')}.`
                    : ''}
                </p>
              </div>
            ))}
          </fieldset>
          <p class="small">
            {/* What needs no choice, in the charter's own words of what it brings the shopper. */}
            {needed.length > 0 ? (
              <>Needed to run the shop, so always on: {needed.map((p) => p.youGet).join(' ')} </>
            ) : null}
            Read the <a href="/v1/notice?format=html">full privacy notice</a> (version{' '}
            {notice.version.slice(0, 12)}).
          </p>
        </div>
        {/* The choices stay in view below the scrolling text, on a phone as on a desktop. */}
        <div class="dialog-actions">
          {error === undefined ? null : (
            <p class="error" role="alert">
              Your choices were not saved: {error}
            </p>
          )}
          <div class="choice-buttons">
            <button type="button" class="choice" disabled={busy} onClick={() => void decide(false)}>
              Reject all
            </button>
            <button type="button" class="choice" disabled={busy} onClick={() => void decide(true)}>
              Accept all
            </button>
          </div>
          <div class="secondary-buttons">
            <button
              type="button"
              class="link-button"
              disabled={busy}
              onClick={() => void decide(undefined)}
            >
              Save my choices
            </button>
            {props.onLater === undefined ? null : (
              <button type="button" class="link-button" disabled={busy} onClick={props.onLater}>
                {props.current === undefined
                  ? 'Decide later (nothing is collected meanwhile)'
                  : 'Keep my current choices'}
              </button>
            )}
          </div>
        </div>
      </div>
    </div>
  )
}
