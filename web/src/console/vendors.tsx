/**
 * The vendors panel (issue 23): per charter vendor, its deliveries sent, failed and dead-lettered and its
 * deletion requests pending, as a Vega-Lite bar chart (drawn by `../vega-chart.tsx`, like the audit
 * reports' charts) and a table; a vendor's dead-lettered deliveries with a Replay button each; and the
 * deletion requests no vendor acknowledged in time, highlighted. Everything comes from the vendor routes
 * (`GET /v1/vendors`, `GET /v1/vendors/{vendor}/deliveries`, `POST .../replay`,
 * `GET /v1/vendors/deletions/overdue`); no shopper or pseudonym is ever shown, as none is answered.
 */
import { useMemo, useState } from 'preact/hooks'
import { formatDate } from '../api.js'
import { type AnswerOf, bearer, client, ok } from '../client.js'
import { VegaChart } from '../vega-chart.js'
import { Status, useLoad } from './load.js'
import './reports.css'
import './vendors.css'

type Vendor = AnswerOf<'/v1/vendors', 'get'>['vendors'][number]
type Delivery = AnswerOf<'/v1/vendors/{vendor}/deliveries', 'get'>['deliveries'][number]
type Overdue = AnswerOf<'/v1/vendors/deletions/overdue', 'get'>['deletions'][number]

/** The figures charted and tabled per vendor, in the order shown. */
const MEASURES = [
  { key: 'sent', label: 'Sent' },
  { key: 'failed', label: 'Failed (to retry)' },
  { key: 'deadLettered', label: 'Dead-lettered' },
  { key: 'deletionsPending', label: 'Deletions pending' },
] as const

/** The Vega-Lite spec of the deliveries per vendor: one bar per figure, grouped by vendor. */
export function vendorsChartSpec(vendors: Vendor[]): Record<string, unknown> {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    description:
      'Deliveries per vendor: sent, failed, dead-lettered, and deletion requests pending',
    width: 260,
    data: {
      values: vendors.flatMap((v) =>
        MEASURES.map((m) => ({ vendor: v.vendor, measure: m.label, count: v[m.key] })),
      ),
    },
    mark: 'bar',
    encoding: {
      y: { field: 'vendor', type: 'nominal', title: null },
      yOffset: { field: 'measure', sort: MEASURES.map((m) => m.label) },
      x: {
        field: 'count',
        type: 'quantitative',
        title: 'count',
        axis: { tickMinStep: 1, format: 'd' },
      },
      color: {
        field: 'measure',
        type: 'nominal',
        title: null,
        sort: MEASURES.map((m) => m.label),
        scale: { range: ['#2e7d32', '#b86e00', '#9b1c1c', '#1d4e89'] },
        legend: { orient: 'bottom', columns: 2 },
      },
      tooltip: [{ field: 'vendor' }, { field: 'measure' }, { field: 'count' }],
    },
  }
}

function VendorTable(props: {
  vendors: Vendor[]
  shown: string | undefined
  show: (vendor: string) => void
}) {
  return (
    <table class="stack" data-testid="vendors-table">
      <thead>
        <tr>
          <th scope="col">Vendor</th>
          {MEASURES.map((m) => (
            <th key={m.key} scope="col">
              {m.label}
            </th>
          ))}
          <th scope="col">Dead letters</th>
        </tr>
      </thead>
      <tbody>
        {props.vendors.map((v) => (
          <tr key={v.vendor} data-vendor={v.vendor} class={v.deletionsOverdue > 0 ? 'overdue' : ''}>
            <th scope="row">
              {v.name} <span class="mono small">{v.vendor}</span>
              {v.destination ? null : <span class="muted small"> (no destination configured)</span>}
            </th>
            {MEASURES.map((m) => (
              <td key={m.key} data-label={m.label} data-measure={m.key}>
                {v[m.key]}
                {m.key === 'deletionsPending' && v.deletionsOverdue > 0 ? (
                  <>
                    {' '}
                    <strong class="badge">{v.deletionsOverdue} overdue</strong>
                  </>
                ) : null}
              </td>
            ))}
            <td data-label="Dead letters">
              <button
                type="button"
                aria-pressed={props.shown === v.vendor}
                disabled={v.deadLettered === 0 && props.shown !== v.vendor}
                onClick={() => props.show(v.vendor)}
              >
                Show <span class="visually-hidden">dead letters of {v.vendor}</span>
              </button>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

/** Dead-lettered deliveries, each with a Replay button when `replay` is given. */
function DeadTable(props: { list: Delivery[]; replay: ((d: Delivery) => void) | undefined }) {
  const { list, replay } = props
  return (
    <table class="stack">
      <thead>
        <tr>
          <th scope="col">Delivery</th>
          <th scope="col">Event · fields</th>
          <th scope="col">Tries</th>
          <th scope="col">Last error</th>
          <th scope="col">Queued</th>
          {replay === undefined ? null : <th scope="col">Replay</th>}
        </tr>
      </thead>
      <tbody>
        {list.map((d) => (
          <tr key={d.id} data-delivery={d.id}>
            <td data-label="Delivery" class="mono small">
              {d.id}
            </td>
            <td data-label="Event · fields">
              {d.eventType} · {d.fields.join(', ')}
            </td>
            <td data-label="Tries">{d.attempts}</td>
            <td data-label="Last error">{d.lastError ?? ''}</td>
            <td data-label="Queued">{formatDate(d.createdAt)}</td>
            {replay === undefined ? null : (
              <td data-label="Replay">
                <button type="button" onClick={() => replay(d)}>
                  Replay <span class="visually-hidden">{d.id}</span>
                </button>
              </td>
            )}
          </tr>
        ))}
      </tbody>
    </table>
  )
}

/** A vendor's dead-lettered deliveries, each with a Replay button (for keys that may replay). */
function DeadLetters(props: {
  token: string
  vendor: string
  mayReplay: boolean
  replayed: () => void
}) {
  const { token, vendor } = props
  const [dead, reload] = useLoad(`${token} vendor-dead ${vendor}`, () =>
    ok(
      client.GET('/v1/vendors/{vendor}/deliveries', {
        headers: bearer(token),
        params: { path: { vendor }, query: { status: 'dead', limit: 100 } },
      }),
    ).then((a) => a.deliveries),
  )
  const [said, setSaid] = useState<{ text: string; error: boolean }>()
  const replay = (d: Delivery) =>
    void ok(
      client.POST('/v1/vendors/{vendor}/deliveries/{deliveryId}/replay', {
        headers: bearer(token),
        params: { path: { vendor, deliveryId: d.id } },
      }),
    )
      .then(() => {
        setSaid({ text: `Delivery ${d.id} queued again.`, error: false })
        reload()
        props.replayed()
      })
      .catch((e: unknown) =>
        setSaid({ text: e instanceof Error ? e.message : String(e), error: true }),
      )
  return (
    <div data-testid="dead-letters" data-vendor={vendor}>
      <h3>Dead-lettered deliveries to {vendor}</h3>
      <Status loaded={dead}>
        {(list) =>
          list.length === 0 ? (
            <p class="muted">None.</p>
          ) : (
            <DeadTable list={list} replay={props.mayReplay ? replay : undefined} />
          )
        }
      </Status>
      {said === undefined ? null : (
        <p role="status" class={said.error ? 'error' : ''} data-testid="replay-said">
          {said.text}
        </p>
      )}
    </div>
  )
}

function OverdueTable({ deletions }: { deletions: Overdue[] }) {
  if (deletions.length === 0)
    return <p class="muted">Every deletion request was acknowledged in time.</p>
  return (
    <table class="stack" data-testid="overdue-deletions">
      <thead>
        <tr>
          <th scope="col">Vendor</th>
          <th scope="col">Reason</th>
          <th scope="col">Asked</th>
          <th scope="col">Due by</th>
          <th scope="col">Tries · last error</th>
        </tr>
      </thead>
      <tbody>
        {deletions.map((d) => (
          <tr key={d.id} class="overdue" data-deletion={d.id}>
            <td data-label="Vendor" class="mono">
              {d.vendor}
            </td>
            <td data-label="Reason">{d.reason}</td>
            <td data-label="Asked">{formatDate(d.createdAt)}</td>
            <td data-label="Due by">
              {formatDate(d.dueAt)} <strong class="badge">Overdue</strong>
            </td>
            <td data-label="Tries · last error">
              {d.attempts} · {d.lastError ?? ''}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

/** The vendors panel, for keys that may read `GET /v1/vendors` (privacy officer, admin). */
export function VendorsPanel(props: { token: string; may: (route: string) => boolean }) {
  const { token } = props
  const mayReplay = props.may('POST /v1/vendors/:vendor/deliveries/:deliveryId/replay')
  const [vendors, reload] = useLoad(`${token} vendors`, () =>
    Promise.all([
      ok(client.GET('/v1/vendors', { headers: bearer(token) })),
      ok(client.GET('/v1/vendors/deletions/overdue', { headers: bearer(token) })),
    ]).then(([list, overdue]) => ({ list: list.vendors, overdue: overdue.deletions })),
  )
  const [shown, setShown] = useState<string>()
  const spec = useMemo(
    () => (vendors.state === 'ok' ? vendorsChartSpec(vendors.value.list) : undefined),
    [vendors],
  )
  return (
    <section class="panel" aria-labelledby="vendors-h" data-testid="vendors-panel">
      <h2 id="vendors-h">Sharing with vendors</h2>
      <Status loaded={vendors}>
        {({ list, overdue }) =>
          list.length === 0 ? (
            <p class="muted">The charter names no vendor.</p>
          ) : (
            <>
              {spec === undefined ? null : (
                <VegaChart name="vendor-deliveries" title="Deliveries per vendor" spec={spec} />
              )}
              <VendorTable vendors={list} shown={shown} show={setShown} />
              {shown === undefined ? null : (
                <DeadLetters token={token} vendor={shown} mayReplay={mayReplay} replayed={reload} />
              )}
              <h3>Overdue deletion requests</h3>
              <OverdueTable deletions={overdue} />
            </>
          )
        }
      </Status>
    </section>
  )
}
