/**
 * The two decisions staff take on a rights request, each a form of its own: extend its deadline once
 * (before it passes, with the reason) or deny it (with the legal ground and the explanation the shopper
 * sees). The server checks every rule; the forms only spare a round trip for what is plainly not possible.
 */
import { useState } from 'preact/hooks'
import { formatDate } from '../api.js'
import type { AnswerOf, paths } from '../client.js'

/** A request as the queue answers it (the OpenAPI document's shape). */
export type QueuedRequest = AnswerOf<'/v1/rights-requests', 'get'>['requests'][number]
export type DenyBody = NonNullable<
  paths['/v1/rights-requests/{id}/deny']['post']['requestBody']
>['content']['application/json']
export type ExtendBody = NonNullable<
  paths['/v1/rights-requests/{id}/extend']['post']['requestBody']
>['content']['application/json']

/** Sends one decision through `send`; says what happened (`done`), or why not. */
export type Act = (
  send: () => Promise<QueuedRequest>,
  done: (r: QueuedRequest) => string,
) => Promise<void>

const GROUNDS: { value: DenyBody['ground']; label: string }[] = [
  { value: 'manifestly_unfounded', label: 'Manifestly unfounded (GDPR Art. 12(5))' },
  { value: 'excessive', label: 'Excessive, e.g. repeated (GDPR Art. 12(5))' },
  { value: 'identity_not_verified', label: 'Identity could not be verified (Art. 12(6))' },
  { value: 'legal_exemption', label: 'A legal exemption applies (Art. 17(3), 23)' },
]

export const isOpen = (r: QueuedRequest) => r.status !== 'completed' && r.status !== 'denied'

/** The length of an extension (GDPR: one or two further months; the CCPA's is always 45 days). */
function ExtendLength(props: {
  gdpr: boolean
  months: '1' | '2'
  onChange: (m: '1' | '2') => void
}) {
  return props.gdpr ? (
    <>
      <label for="act-months">By how long</label>
      <select
        id="act-months"
        value={props.months}
        onChange={(e) => props.onChange((e.target as HTMLSelectElement).value as '1' | '2')}
      >
        <option value="1">One further month</option>
        <option value="2">Two further months (the most GDPR allows)</option>
      </select>
    </>
  ) : (
    <p class="small">Under the CCPA an extension is 45 days.</p>
  )
}

export function ExtendForm(props: {
  request: QueuedRequest
  busy: boolean
  act: Act
  send: (body: ExtendBody) => Promise<QueuedRequest>
}) {
  const { request } = props
  const [months, setMonths] = useState<'1' | '2'>('2')
  const [reason, setReason] = useState('')
  // The server's clock decides (a browser's may be off); `overdue` is open and past the deadline.
  const pastDue = request.overdue ?? Date.parse(request.dueAt) < Date.now()
  const extended = request.extensionReason != null && request.extensionReason !== ''
  const canExtend = isOpen(request) && !extended && !pastDue
  const gdpr = request.regime !== 'ccpa'
  return (
    <form
      class="act-form"
      onSubmit={(e) => {
        e.preventDefault()
        void props.act(
          () => props.send(gdpr ? { reason, months: months === '1' ? 1 : 2 } : { reason }),
          (r) => `Extended: ${r.id} is now due by ${formatDate(r.dueAt)}.`,
        )
      }}
    >
      <h4>Extend the deadline</h4>
      {extended ? (
        <p class="muted">Already extended once (the law allows one extension).</p>
      ) : !isOpen(request) ? (
        <p class="muted">This request is {request.status}.</p>
      ) : pastDue ? (
        <p class="muted">The deadline has passed: an extension must be made before it.</p>
      ) : (
        <>
          <ExtendLength gdpr={gdpr} months={months} onChange={setMonths} />
          <label for="act-extend-reason">Why more time is needed (the shopper is told)</label>
          <textarea
            id="act-extend-reason"
            rows={2}
            minLength={10}
            maxLength={1000}
            required
            value={reason}
            onInput={(e) => setReason((e.target as HTMLTextAreaElement).value)}
          />
          <button type="submit" class="primary" disabled={props.busy || !canExtend}>
            Extend deadline
          </button>
        </>
      )}
    </form>
  )
}

export function DenyForm(props: {
  request: QueuedRequest
  busy: boolean
  act: Act
  send: (body: DenyBody) => Promise<QueuedRequest>
}) {
  const { request } = props
  const [ground, setGround] = useState('')
  const [reason, setReason] = useState('')
  const canDeny = request.status === 'received' || request.status === 'verified'
  return (
    <form
      class="act-form"
      onSubmit={(e) => {
        e.preventDefault()
        void props.act(
          () => props.send({ ground: ground as DenyBody['ground'], reason }),
          (r) => `Denied: ${r.id}. The shopper sees the reason given.`,
        )
      }}
    >
      <h4>Deny the request</h4>
      {canDeny ? (
        <>
          <label for="act-ground">Ground</label>
          <select
            id="act-ground"
            required
            value={ground}
            onChange={(e) => setGround((e.target as HTMLSelectElement).value)}
          >
            <option value="">Choose the legal ground…</option>
            {GROUNDS.map((g) => (
              <option key={g.value} value={g.value}>
                {g.label}
              </option>
            ))}
          </select>
          <label for="act-deny-reason">
            Explanation for the shopper (not written to the audit log)
          </label>
          <textarea
            id="act-deny-reason"
            rows={2}
            minLength={5}
            maxLength={500}
            required
            value={reason}
            onInput={(e) => setReason((e.target as HTMLTextAreaElement).value)}
          />
          <p class="small muted">
            Tell the shopper they may complain to a supervisory authority (GDPR Art. 12(4)).
          </p>
          <button type="submit" class="danger" disabled={props.busy}>
            Deny request
          </button>
        </>
      ) : (
        <p class="muted">
          {request.status === 'in_progress'
            ? 'It is being carried out and can no longer be denied.'
            : `This request is ${request.status}.`}
        </p>
      )}
    </form>
  )
}
