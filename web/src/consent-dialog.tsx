/**
 * The consent banner: a modal dialog (aria-modal, focus kept inside) listing the purposes the shopper may
 * choose, in the notice's own words. No box is ticked in advance; "Accept all" and "Reject all" look the
 * same and sit side by side, in a bar that stays in view below the scrolling text (on a phone too). With
 * Global Privacy Control on, the dialog says so and the purposes GPC covers stay off whatever is pressed.
 */
import { useRef, useState } from 'preact/hooks'
import type { Notice, NoticePurpose } from './api.js'
import { useModalFocus } from './use-modal-focus.js'

export interface ConsentDialogProps {
  notice: Notice
  gpc: boolean
  /** The current decisions, to start from when the shopper reopens the dialog. */
  current?: Record<string, boolean>
  /** `onDevice`: the shopper asked that their history stay in this browser (the `on_device` level). */
  onDecide: (decisions: Record<string, 'granted' | 'denied'>, onDevice?: boolean) => Promise<void>
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

/** One purpose to allow or not, in the notice's words: what the shopper gets, how long, shared with whom. */
function PurposeChoice(props: {
  purpose: NoticePurpose
  checked: boolean
  blocked: boolean
  busy: boolean
  onChange: (yes: boolean) => void
}) {
  const { purpose } = props
  return (
    <div class="purpose">
      <input
        type="checkbox"
        id={`purpose-${purpose.key}`}
        name={purpose.key}
        checked={props.checked}
        disabled={props.blocked || props.busy}
        aria-describedby={`purpose-${purpose.key}-text`}
        onChange={(e) => props.onChange((e.target as HTMLInputElement).checked)}
      />
      <label for={`purpose-${purpose.key}`}>
        <strong>{purpose.title}</strong>
        {props.blocked ? <span class="tag">off: Global Privacy Control</span> : null}
      </label>
      <p id={`purpose-${purpose.key}-text`} class="purpose-text">
        {purpose.youGet} {purpose.itCosts.keptFor}
        {purpose.itCosts.sharedWith.length > 0
          ? ` Shared with ${purpose.itCosts.sharedWith.join(', ')}.`
          : ''}
        {purpose.federated === undefined ? '' : ` ${purpose.federated}`}
      </p>
    </div>
  )
}

/** The choices, in view below the scrolling text; `decide(undefined)` saves the boxes as ticked. */
function DialogActions(props: {
  busy: boolean
  error: string | undefined
  decide: (all: boolean | undefined) => void
  onLater: (() => void) | undefined
  reopened: boolean
}) {
  const { busy, decide } = props
  return (
    <div class="dialog-actions">
      {props.error === undefined ? null : (
        <p class="error" role="alert">
          Your choices were not saved: {props.error}
        </p>
      )}
      <div class="choice-buttons">
        <button type="button" class="choice" disabled={busy} onClick={() => decide(false)}>
          Reject all
        </button>
        <button type="button" class="choice" disabled={busy} onClick={() => decide(true)}>
          Accept all
        </button>
      </div>
      <div class="secondary-buttons">
        <button type="button" class="link-button" disabled={busy} onClick={() => decide(undefined)}>
          Save my choices
        </button>
        {props.onLater === undefined ? null : (
          <button type="button" class="link-button" disabled={busy} onClick={props.onLater}>
            {props.reopened
              ? 'Keep my current choices'
              : 'Decide later (nothing is collected meanwhile)'}
          </button>
        )}
      </div>
    </div>
  )
}

/**
 * The dialog's choices: the boxes as ticked (none in advance, or the current decisions when reopened), and
 * `decide`, which sends every choosable purpose's decision (`all` for "Accept all" or "Reject all").
 */
function useConsentChoices(props: ConsentDialogProps) {
  const purposes = choosablePurposes(props.notice)
  const blocked = new Set(
    props.gpc ? purposes.filter((p) => p.saleOrSharing).map((p) => p.key) : [],
  )
  const [chosen, setChosen] = useState<Record<string, boolean>>(() =>
    Object.fromEntries(
      purposes.map((p) => [p.key, !blocked.has(p.key) && props.current?.[p.key] === true]),
    ),
  )
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string>()

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
  return { purposes, blocked, chosen, setChosen, busy, error, decide }
}

/** The `on_device` level, offered with the choices: the history stays in this browser. */
function OnDeviceChoice(props: {
  checked: boolean
  busy: boolean
  onChange: (on: boolean) => void
}) {
  return (
    <label class="on-device-choice">
      <input
        type="checkbox"
        data-testid="on-device"
        checked={props.checked}
        disabled={props.busy}
        onChange={(e) => props.onChange(e.currentTarget.checked)}
      />{' '}
      Keep my history on this device only: suggestions from my history are worked out in this
      browser, and nothing about me is stored by the shop (with suggestions based on my history
      allowed).
    </label>
  )
}

export function ConsentDialog(props: ConsentDialogProps) {
  const { notice, gpc } = props
  const [onDevice, setOnDevice] = useState(false)
  const { purposes, blocked, chosen, setChosen, busy, error, decide } = useConsentChoices({
    ...props,
    onDecide: (decisions) => props.onDecide(decisions, onDevice),
  })
  const needed = notice.groups.find((g) => g.id === 'needed')?.purposes ?? []
  const dialog = useRef<HTMLDivElement>(null)
  useModalFocus(dialog, props.onLater)

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
              <PurposeChoice
                key={purpose.key}
                purpose={purpose}
                checked={chosen[purpose.key] === true}
                blocked={blocked.has(purpose.key)}
                busy={busy}
                onChange={(yes) => setChosen({ ...chosen, [purpose.key]: yes })}
              />
            ))}
          </fieldset>
          <OnDeviceChoice checked={onDevice} busy={busy} onChange={setOnDevice} />
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
        <DialogActions
          busy={busy}
          error={error}
          decide={(all) => void decide(all)}
          onLater={props.onLater}
          reopened={props.current !== undefined}
        />
      </div>
    </div>
  )
}
