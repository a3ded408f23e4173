/**
 * The console's rights-request queue, soonest deadline first, and the two decisions staff take on a
 * request: extend its deadline once (before it passes, with the reason) or deny it (with the legal
 * ground and the explanation the shopper sees). The server checks every rule; the form only spares a
 * round trip for what is plainly not possible.
 */
import { useEffect, useRef, useState } from 'preact/hooks'
import { ApiError, formatDate } from '../api.js'
import { type AnswerOf, bearer, client, ok, type paths } from '../client.js'
import { Status, useLoad } from './load.js'

/** A request as the queue answers it (the OpenAPI document's shape). */
export type QueuedRequest = AnswerOf<'/v1/rights-requests', 'get'>['requests'][number]
type DenyBody = NonNullable<
  paths['/v1/rights-requests/{id}/deny']['post']['requestBody']
>['content']['application/json']
type ExtendBody = NonNullable<
  paths['/v1/rights-requests/{id}/extend']['post']['requestBody']
>['content']['application/json']

const GROUNDS: { value: DenyBody['ground']; label: string }[] = [
  { value: 'manifestly_unfounded', label: 'Manifestly unfounded (GDPR Art. 12(5))' },
  { value: 'excessive', label: 'Excessive, e.g. repeated (GDPR Art. 12(5))' },
  { value: 'identity_not_verified', label: 'Identity could not be verified (Art. 12(6))' },
  { value: 'legal_exemption', label: 'A legal exemption applies (Art. 17(3), 23)' },
]

const isOpen = (r: QueuedRequest) => r.status !== 'completed' && r.status !== 'denied'

function problemText(e: unknown): string {
  return e instanceof Error ? e.message : String(e)
}

function ActionForm({
  request,
  token,
  may,
  onDone,
  onStale,
  onClose,
}: {
  request: QueuedRequest
  token: string
  may: { extend: boolean; deny: boolean }
  onDone: (message: string) => void
  /** The request changed meanwhile (a 409): load the queue again, keeping this form and its error. */
  onStale: () => void
  onClose: () => void
}) {
  const [months, setMonths] = useState<'1' | '2'>('2')
  const [extendReason, setExtendReason] = useState('')
  const [ground, setGround] = useState('')
  const [denyReason, setDenyReason] = useState('')
  const [error, setError] = useState<string>()
  const [busy, setBusy] = useState(false)
  const heading = useRef<HTMLHeadingElement>(null)
  useEffect(() => heading.current?.focus(), [request.id])

  // The server's clock decides (a browser's may be off); `overdue` is open and past the deadline.
  const pastDue = request.overdue ?? Date.parse(request.dueAt) < Date.now()
  const extended = request.extensionReason != null && request.extensionReason !== ''
  const canExtend = may.extend && isOpen(request) && !extended && !pastDue
  const canDeny = may.deny && (request.status === 'received' || request.status === 'verified')
  const gdpr = request.regime !== 'ccpa'

  /** Sends one decision through the typed client; says what happened, or why not. */
  async function act(send: () => Promise<QueuedRequest>, done: (r: QueuedRequest) => string) {
    setBusy(true)
    setError(undefined)
    try {
      onDone(done(await send()))
    } catch (e) {
      setError(e instanceof ApiError ? e.message : problemText(e))
      if (e instanceof ApiError && e.status === 409) onStale()
    } finally {
      setBusy(false)
    }
  }
  const params = { path: { id: request.id } }
  const extend = (body: ExtendBody) =>
    ok(client.POST('/v1/rights-requests/{id}/extend', { headers: bearer(token), params, body }))
  const deny = (body: DenyBody) =>
    ok(client.POST('/v1/rights-requests/{id}/deny', { headers: bearer(token), params, body }))

  return (
    <section class="act" aria-labelledby="act-h" data-testid="act">
      <div class="act-head">
        <h3 id="act-h" tabIndex={-1} ref={heading}>
          Request <span class="mono">{request.id}</span>
        </h3>
        <button type="button" class="link-button" onClick={onClose}>
          Close
        </button>
      </div>
      <p class="small muted">
        {request.type} · {request.status} · due by {formatDate(request.dueAt)}
        {request.regime === undefined ? '' : ` · ${request.regime.toUpperCase()}`}
      </p>
      {error === undefined ? null : (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {may.extend ? (
        <form
          class="act-form"
          onSubmit={(e) => {
            e.preventDefault()
            void act(
              () =>
                extend(
                  gdpr
                    ? { reason: extendReason, months: months === '1' ? 1 : 2 }
                    : { reason: extendReason },
                ),
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
              {gdpr ? (
                <>
                  <label for="act-months">By how long</label>
                  <select
                    id="act-months"
                    value={months}
                    onChange={(e) => setMonths((e.target as HTMLSelectElement).value as '1' | '2')}
                  >
                    <option value="1">One further month</option>
                    <option value="2">Two further months (the most GDPR allows)</option>
                  </select>
                </>
              ) : (
                <p class="small">Under the CCPA an extension is 45 days.</p>
              )}
              <label for="act-extend-reason">Why more time is needed (the shopper is told)</label>
              <textarea
                id="act-extend-reason"
                rows={2}
                minLength={10}
                maxLength={1000}
                required
                value={extendReason}
                onInput={(e) => setExtendReason((e.target as HTMLTextAreaElement).value)}
              />
              <button type="submit" class="primary" disabled={busy || !canExtend}>
                Extend deadline
              </button>
            </>
          )}
        </form>
      ) : null}
      {may.deny ? (
        <form
          class="act-form"
          onSubmit={(e) => {
            e.preventDefault()
            void act(
              () => deny({ ground: ground as DenyBody['ground'], reason: denyReason }),
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
                value={denyReason}
                onInput={(e) => setDenyReason((e.target as HTMLTextAreaElement).value)}
              />
              <p class="small muted">
                Tell the shopper they may complain to a supervisory authority (GDPR Art. 12(4)).
              </p>
              <button type="submit" class="danger" disabled={busy}>
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
      ) : null}
    </section>
  )
}

/** The queue, and the decision form for the request chosen from it. */
export function RightsPanel({
  token,
  may,
}: {
  token: string
  may: { extend: boolean; deny: boolean }
}) {
  const [queue, reload] = useLoad(`${token} rights`, async () =>
    (await ok(client.GET('/v1/rights-requests', { headers: bearer(token) }))).requests.sort(
      (a, b) => (a.dueAt < b.dueAt ? -1 : 1),
    ),
  )
  const [chosen, setChosen] = useState<string>()
  const [message, setMessage] = useState('')
  const acts = may.extend || may.deny
  const now = Date.now()
  return (
    <>
      <p role="status" class="status-line" data-testid="rights-status">
        {message}
      </p>
      <Status loaded={queue}>
        {(requests) => {
          const current = requests.find((r) => r.id === chosen)
          return requests.length === 0 ? (
            <p>No requests in the queue.</p>
          ) : (
            <>
              <table data-testid="queue" class="stack">
                <thead>
                  <tr>
                    <th scope="col">Request</th>
                    <th scope="col">Type</th>
                    <th scope="col">Status</th>
                    <th scope="col">Received</th>
                    <th scope="col">Due by</th>
                    {acts ? <th scope="col">Decide</th> : null}
                  </tr>
                </thead>
                <tbody>
                  {requests.map((r) => {
                    const overdue = r.overdue ?? (isOpen(r) && Date.parse(r.dueAt) < now)
                    return (
                      <tr
                        key={r.id}
                        class={overdue ? 'overdue' : ''}
                        data-request={r.id}
                        data-status={r.status}
                      >
                        <td data-label="Request" class="mono">
                          {r.id}
                        </td>
                        <td data-label="Type">{r.type}</td>
                        <td data-label="Status">
                          {r.status}
                          {r.extensionReason != null ? ' (extended)' : ''}
                        </td>
                        <td data-label="Received">
                          {r.receivedAt === undefined ? '' : formatDate(r.receivedAt)}
                        </td>
                        <td data-label="Due by">
                          {formatDate(r.dueAt)}{' '}
                          {overdue ? <strong class="badge">Overdue</strong> : null}
                        </td>
                        {acts ? (
                          <td data-label="Decide">
                            {isOpen(r) ? (
                              <button
                                type="button"
                                class="small-button"
                                aria-label={`Extend or deny ${r.id}`}
                                aria-expanded={chosen === r.id}
                                onClick={() => setChosen(chosen === r.id ? undefined : r.id)}
                              >
                                Extend or deny…
                              </button>
                            ) : null}
                          </td>
                        ) : null}
                      </tr>
                    )
                  })}
                </tbody>
              </table>
              {current === undefined ? null : (
                <ActionForm
                  key={current.id}
                  request={current}
                  token={token}
                  may={may}
                  onClose={() => setChosen(undefined)}
                  onStale={reload}
                  onDone={(text) => {
                    setMessage(text)
                    setChosen(undefined)
                    reload()
                  }}
                />
              )}
            </>
          )
        }}
      </Status>
    </>
  )
}
