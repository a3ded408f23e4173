/**
 * Per-offer totals in the offers panel (issue 21): over the last 30 UTC days, how often each offer was
 * shown, clicked (its link followed) and refused with "not this", from `GET /v1/offers/totals`. Counts
 * only: the server names no shopper.
 */
import { type AnswerOf, bearer, client, ok } from '../client.js'
import { Status, useLoad } from './load.js'

type Totals = AnswerOf<'/v1/offers/totals', 'get'>

const DAYS = 30

const rate = (part: number, whole: number) =>
  whole === 0 ? '–' : `${Math.round((part / whole) * 1000) / 10}%`

function TotalsTable({ totals, titles }: { totals: Totals; titles: Map<string, string> }) {
  if (totals.offers.length === 0) return <p class="muted">No offers yet.</p>
  return (
    <table class="stack" data-testid="offer-totals">
      <caption>
        Since {totals.from} (UTC): shown in answers and e-mails, clicked through the offer's link
      </caption>
      <thead>
        <tr>
          <th scope="col">Offer</th>
          <th scope="col">Shown</th>
          <th scope="col">Clicked</th>
          <th scope="col">Click rate</th>
          <th scope="col">Not this</th>
        </tr>
      </thead>
      <tbody>
        {totals.offers.map((o) => (
          <tr key={o.offer} data-offer={o.offer}>
            <th scope="row">
              {titles.get(o.offer) ?? o.offer} <span class="mono small">{o.offer}</span>
            </th>
            <td data-label="Shown">{o.shown}</td>
            <td data-label="Clicked">{o.clicked}</td>
            <td data-label="Click rate">{rate(o.clicked, o.shown)}</td>
            <td data-label="Not this">{o.notThis}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

/** The totals of every offer; `version` changes when the offers do, so the figures are read again. */
export function OfferTotals(props: {
  token: string
  titles: Map<string, string>
  version: number
}) {
  const [totals, reload] = useLoad(`${props.token} offer-totals ${props.version}`, () =>
    ok(
      client.GET('/v1/offers/totals', {
        headers: bearer(props.token),
        params: { query: { days: DAYS } },
      }),
    ),
  )
  return (
    <>
      <h3>Totals, last {DAYS} days</h3>
      <button type="button" onClick={reload}>
        Read the totals again
      </button>
      <Status loaded={totals}>
        {(value) => <TotalsTable totals={value} titles={props.titles} />}
      </Status>
    </>
  )
}
