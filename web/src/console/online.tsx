/**
 * The console's "Recommendations in use" panel: what shoppers did with the answers they were shown, per
 * level and placement (no one is named).
 */
import type { AnswerOf } from '../client.js'

/** The answer's online figures, as the OpenAPI document describes them. */
export type OnlineQuality = AnswerOf<'/v1/recommendations/quality', 'get'>['online']
type OnlineGroup = OnlineQuality['total']

const percent = (rate: number) => `${(rate * 100).toFixed(1)}%`

export function OnlineTable({ online }: { online: OnlineQuality }) {
  if (online.groups.length === 0 && online.withheld.answers === 0)
    return <p>No recommendations were served in this period.</p>
  const row = (g: OnlineGroup, head: boolean) => (
    <tr key={`${g.level}/${g.placement}`} class={head ? 'total' : ''}>
      <th scope="row">{head ? 'All shown' : `${g.level} · ${g.placement}`}</th>
      <td data-label="Answers">{g.answers}</td>
      <td data-label="Viewed">{percent(g.viewRate)}</td>
      <td data-label="Added to basket">{percent(g.cartRate)}</td>
      <td data-label="Bought">{percent(g.purchaseRate)}</td>
      <td data-label={'"Not this"'}>{percent(g.notInterestedRate)}</td>
    </tr>
  )
  return (
    <>
      <table data-testid="online" class="stack">
        <thead>
          <tr>
            <th scope="col">Level · placement</th>
            <th scope="col">Answers</th>
            <th scope="col">Viewed</th>
            <th scope="col">Added to basket</th>
            <th scope="col">Bought</th>
            <th scope="col">"Not this"</th>
          </tr>
        </thead>
        <tbody>
          {online.groups.map((g) => row(g, false))}
          {online.groups.length > 1 ? row(online.total, true) : null}
        </tbody>
      </table>
      <p class="muted">
        Share of answers after which the shopper viewed, added, bought or turned down one of the
        suggested items. Groups under {online.minAnswers} answers are merged
        {online.withheld.answers > 0
          ? `; ${online.withheld.answers} answers in groups too small to show are withheld`
          : ''}
        .
      </p>
    </>
  )
}
