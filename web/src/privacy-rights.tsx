/**
 * The privacy center's rights requests on the page: the one-time code form under the button that asked
 * for it, the list of the shopper's requests, and erasure with its confirmation.
 */
import { type RightsRequest, formatDate } from './api.js'
import { CodeForm } from './privacy-code.js'
import { type Note, Section } from './privacy-note.js'
import type { RightsRequests, RightsType } from './use-rights-requests.js'

/** The code step of the pending request, if it is of this type. */
export function PendingCodeForm(props: {
  type: RightsType
  rights: RightsRequests
  token: string
}) {
  const { pending } = props.rights
  return pending?.request.type === props.type ? (
    <CodeForm
      key={pending.request.id}
      pending={pending}
      token={props.token}
      onDone={props.rights.finish}
      onDenied={props.rights.denied}
      onCancel={props.rights.cancel}
    />
  ) : null
}

export function RequestsSection(props: { requests: RightsRequest[]; note: Note | undefined }) {
  const { requests } = props
  return (
    <Section id="requests" note={props.note} title="Your requests">
      {requests.length === 0 ? (
        <p>You have no open requests.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Request</th>
              <th scope="col">Status</th>
              <th scope="col">Due by</th>
            </tr>
          </thead>
          <tbody>
            {requests.map((r) => (
              <tr key={r.id}>
                <td>
                  {r.type} <span class="muted small">{r.id}</span>
                </td>
                <td>{r.status}</td>
                <td>{formatDate(r.dueAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Section>
  )
}

export function EraseSection(props: {
  rights: RightsRequests
  token: string
  note: Note | undefined
}) {
  const { rights } = props
  return (
    <Section id="erase" note={props.note} title="Erase my data">
      <p>
        This deletes your history, your choices and what our suggestion system learned from you. It
        cannot be undone. We keep only a note that an erasure happened, with nothing about you in
        it.
      </p>
      {rights.pending?.request.type === 'erasure' ? (
        <PendingCodeForm type="erasure" rights={rights} token={props.token} />
      ) : rights.confirming ? (
        <div class="confirm" role="group" aria-labelledby="confirm-q">
          <p id="confirm-q">
            <strong>Erase everything we hold about you?</strong>
          </p>
          <button type="button" class="danger" onClick={() => void rights.file('erasure')}>
            Yes, erase my data
          </button>
          <button
            type="button"
            class="choice small-choice"
            onClick={() => rights.setConfirming(false)}
          >
            Keep my data
          </button>
        </div>
      ) : (
        <button
          type="button"
          class="danger"
          disabled={rights.pending !== undefined}
          onClick={() => rights.setConfirming(true)}
        >
          Erase my data…
        </button>
      )}
    </Section>
  )
}
