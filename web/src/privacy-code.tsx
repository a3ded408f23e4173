/**
 * The one-time code step of a rights request, shown right under the button that asked for it: the field
 * takes focus when it appears, and the form says how many wrong codes the request still accepts.
 */
import { useLayoutEffect, useRef, useState } from 'preact/hooks'
import { ApiError, type RightsRequest, api } from './api.js'

export interface PendingCode {
  request: RightsRequest
  /** Wrong codes the request still accepts (from the server). */
  attemptsLeft: number | undefined
}

const tries = (n: number) => `${n} ${n === 1 ? 'try' : 'tries'} left`

/**
 * Asks for the code, then hands the verified request to `onDone`. A wrong code refreshes the tries left
 * from the server; the last wrong code ends the request (denied), which `onDenied` reports.
 */
export function CodeForm(props: {
  pending: PendingCode
  token: string
  onDone: (request: RightsRequest) => Promise<void>
  onDenied: (request: RightsRequest) => void
  onCancel: () => void
}) {
  const { request } = props.pending
  const [code, setCode] = useState('')
  const [attemptsLeft, setAttemptsLeft] = useState(props.pending.attemptsLeft)
  const [problem, setProblem] = useState<string>()
  const [note, setNote] = useState<string>()
  const [busy, setBusy] = useState(false)
  const input = useRef<HTMLInputElement>(null)
  const path = `/v1/rights-requests/${encodeURIComponent(request.id)}`

  // The field appears where the shopper is looking, with the cursor in it: in the same task as it appears
  // (a layout effect), never a frame later, so nothing can be typed or read before the focus is there.
  useLayoutEffect(() => {
    const field = input.current
    if (field === null) return
    field.scrollIntoView({ block: 'center' })
    field.focus({ preventScroll: true })
  }, [request.id])

  async function refresh(): Promise<RightsRequest | undefined> {
    try {
      const state = await api<RightsRequest & { attemptsLeft?: number }>('GET', path, {
        token: props.token,
      })
      setAttemptsLeft(state.status === 'received' ? state.attemptsLeft : 0)
      return state
    } catch {
      return undefined
    }
  }

  async function submit() {
    setBusy(true)
    setNote(undefined)
    try {
      const verified = await api<RightsRequest>('POST', `${path}/verify`, {
        token: props.token,
        body: { code: code.trim() },
      })
      await props.onDone(verified)
    } catch (e) {
      const state = await refresh()
      if (state?.status === 'denied') {
        props.onDenied(state)
        return
      }
      setProblem(
        e instanceof ApiError && e.status === 400
          ? e.message
          : `Not confirmed: ${e instanceof Error ? e.message : String(e)}`,
      )
      input.current?.focus()
    } finally {
      setBusy(false)
    }
  }

  async function resend() {
    setNote(undefined)
    try {
      const answer = await api<{ attemptsLeft: number; resendsLeft: number }>(
        'POST',
        `${path}/resend-code`,
        { token: props.token },
      )
      setAttemptsLeft(answer.attemptsLeft)
      setProblem(undefined)
      setCode('')
      setNote(
        `We sent a new code; the old one no longer works. ${answer.resendsLeft} more ${answer.resendsLeft === 1 ? 'resend' : 'resends'} this hour.`,
      )
    } catch (e) {
      setNote(
        e instanceof ApiError && e.status === 429
          ? 'You have asked for new codes too often. Wait an hour, or use the last code we sent.'
          : `No new code sent: ${e instanceof Error ? e.message : String(e)}`,
      )
    }
    input.current?.focus()
  }

  async function demoInbox() {
    try {
      const { code: sent } = await api<{ code: string | null }>(
        'GET',
        `/demo/inbox/${encodeURIComponent(request.id)}`,
        { token: props.token },
      )
      setCode(sent ?? '')
    } catch {
      setNote('The demo inbox is only there in demo mode.')
    }
    input.current?.focus()
  }

  const describedBy = ['code-help', problem === undefined ? '' : 'code-problem']
    .filter(Boolean)
    .join(' ')
  return (
    <form
      class="code-form"
      aria-labelledby="code-title"
      onSubmit={(e) => {
        e.preventDefault()
        void submit()
      }}
    >
      <p id="code-title" class="code-title">
        <strong>Confirm it is you</strong>
      </p>
      <p id="code-help" class="small">
        We sent a 6-digit code to the e-mail address the shop has for you. It works for 10 minutes.{' '}
        {attemptsLeft === undefined ? null : (
          <span data-testid="tries-left">{tries(attemptsLeft)}.</span>
        )}
      </p>
      <label for="code">
        Code for your {request.type === 'access' ? 'download' : request.type}
      </label>
      <div class="code-row">
        <input
          id="code"
          ref={input}
          inputMode="numeric"
          autoComplete="one-time-code"
          pattern="[0-9]{6}"
          maxLength={6}
          value={code}
          aria-describedby={describedBy}
          aria-invalid={problem === undefined ? undefined : true}
          onInput={(e) => setCode((e.target as HTMLInputElement).value)}
          required
        />
        <button type="submit" class="primary" disabled={busy}>
          Confirm
        </button>
      </div>
      {problem === undefined ? null : (
        <p id="code-problem" class="code-problem" role="alert">
          {problem}
        </p>
      )}
      <p aria-live="polite" class="small">
        {note ?? ''}
      </p>
      <div class="code-actions">
        <button type="button" class="link-button" onClick={() => void demoInbox()}>
          Open my inbox (demo)
        </button>
        <button type="button" class="link-button" onClick={() => void resend()}>
          Send a new code
        </button>
        <button type="button" class="link-button" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </form>
  )
}
