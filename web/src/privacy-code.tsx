/**
 * The one-time code step of a rights request, shown right under the button that asked for it: the field
 * takes focus when it appears, and the form says how many wrong codes the request still accepts.
 */
import { type CodeFormProps, type PendingCode, useCodeForm } from './use-code-form.js'

export type { PendingCode }

const tries = (n: number) => `${n} ${n === 1 ? 'try' : 'tries'} left`

/** The demo inbox, a new code, or none after all: small buttons under the field. */
function CodeActions(props: { demoInbox: () => void; resend: () => void; onCancel: () => void }) {
  return (
    <div class="code-actions">
      <button type="button" class="link-button" onClick={props.demoInbox}>
        Open my inbox (demo)
      </button>
      <button type="button" class="link-button" onClick={props.resend}>
        Send a new code
      </button>
      <button type="button" class="link-button" onClick={props.onCancel}>
        Cancel
      </button>
    </div>
  )
}

/** The code form; what it does with a code (and a wrong one) is `useCodeForm`'s (use-code-form.ts). */
export function CodeForm(props: CodeFormProps) {
  const { request } = props.pending
  const form = useCodeForm(props)
  const { code, setCode, attemptsLeft, problem, note, busy, input, submit } = form
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
      <CodeActions
        demoInbox={() => void form.demoInbox()}
        resend={() => void form.resend()}
        onCancel={props.onCancel}
      />
    </form>
  )
}
