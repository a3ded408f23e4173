/**
 * The console's rights-request queue, soonest deadline first, and the two decisions staff take on a
 * request: extend its deadline once (before it passes, with the reason) or deny it (with the legal
 * ground and the explanation the shopper sees). The server checks every rule; the form only spares a
 * round trip for what is plainly not possible.
 */
import { useEffect, useRef, useState } from 'preact/hooks'
import { ApiError, formatDate } from '../api.js'
import { bearer, client, ok } from '../client.js'
import { Status, useLoad } from './load.js'
import {
  type Act,
  type DenyBody,
  DenyForm,
  type ExtendBody,
  ExtendForm,
  type QueuedRequest,
  isOpen,
} from './rights-forms.js'

export type { QueuedRequest } from './rights-forms.js'

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
  const [error, setError] = useState<string>()
  const [busy, setBusy] = useState(false)
  const heading = useRef<HTMLHeadingElement>(null)
  useEffect(() => heading.current?.focus(), [request.id])

  /** Sends one decision through the typed client; says what happened, or why not. */
  const act: Act = async (send, done) => {
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
      {may.extend ? <ExtendForm request={request} busy={busy} act={act} send={extend} /> : null}
      {may.deny ? <DenyForm request={request} busy={busy} act={act} send={deny} /> : null}
    </section>
  )
}

/** One request in the queue: overdue ones marked, and (for staff who decide) the button that opens its form. */
function QueueRow(props: {
  request: QueuedRequest
  now: number
  acts: boolean
  chosen: boolean
  onChoose: () => void
}) {
  const { request: r, acts } = props
  const overdue = r.overdue ?? (isOpen(r) && Date.parse(r.dueAt) < props.now)
  return (
    <tr class={overdue ? 'overdue' : ''} data-request={r.id} data-status={r.status}>
      <td data-label="Request" class="mono">
        {r.id}
      </td>
      <td data-label="Type">{r.type}</td>
      <td data-label="Status">
        {r.status}
        {r.extensionReason != null ? ' (extended)' : ''}
      </td>
      <td data-label="Received">{r.receivedAt === undefined ? '' : formatDate(r.receivedAt)}</td>
      <td data-label="Due by">
        {formatDate(r.dueAt)} {overdue ? <strong class="badge">Overdue</strong> : null}
      </td>
      {acts ? (
        <td data-label="Decide">
          {isOpen(r) ? (
            <button
              type="button"
              class="small-button"
              aria-label={`Extend or deny ${r.id}`}
              aria-expanded={props.chosen}
              onClick={props.onChoose}
            >
              Extend or deny…
            </button>
          ) : null}
        </td>
      ) : null}
    </tr>
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
                  {requests.map((r) => (
                    <QueueRow
                      key={r.id}
                      request={r}
                      now={now}
                      acts={acts}
                      chosen={chosen === r.id}
                      onChoose={() => setChosen(chosen === r.id ? undefined : r.id)}
                    />
                  ))}
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
