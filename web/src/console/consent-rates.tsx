/**
 * The console's consent rates: per purpose and UTC day, how many choices were a yes, a withdrawal (a no
 * after a yes) or a refusal (any other no), read from the consent ledger by `GET /v1/consent-rates`.
 * One small chart per purpose, a row of three labelled bars per day, and every figure in a table too.
 */
import { useState } from 'preact/hooks'
import { type Notice, noticePurposes } from '../api.js'
import { type AnswerOf, bearer, client, ok } from '../client.js'
import { Status, useLoad } from './load.js'

type ConsentRates = AnswerOf<'/v1/consent-rates', 'get'>
export type ConsentRate = ConsentRates['days'][number]
/** Days in UTC, `YYYY-MM-DD`; empty for an open end. */
interface Period {
  from: string
  to: string
}

/** The three counts, in the order drawn, each with its colour (and its place in the row). */
const KINDS = [
  { key: 'granted', label: 'Yes', colour: '#2e7d32' },
  { key: 'withdrawn', label: 'Withdrawn', colour: '#b3261e' },
  { key: 'refused', label: 'Refused', colour: '#b86e00' },
] as const

const total = (r: ConsentRate) => r.granted + r.withdrawn + r.refused
const share = (yes: number, all: number) => (all === 0 ? '–' : `${Math.round((100 * yes) / all)}%`)

/** Sums over the period. */
function sum(rows: ConsentRate[]) {
  return rows.reduce(
    (acc, r) => ({
      granted: acc.granted + r.granted,
      withdrawn: acc.withdrawn + r.withdrawn,
      refused: acc.refused + r.refused,
    }),
    { granted: 0, withdrawn: 0, refused: 0 },
  )
}

const WIDTH = 360
const LABEL = 50
const VALUE = 34
const BAR = 9
const GAP = 2
const DAY_GAP = 10
const DAY_HEIGHT = KINDS.length * BAR + (KINDS.length - 1) * GAP

function PurposeChart({
  purpose,
  title,
  rows,
}: {
  purpose: string
  title: string
  rows: ConsentRate[]
}) {
  const totals = sum(rows)
  const all = totals.granted + totals.withdrawn + totals.refused
  const id = `rates-${purpose.replace(/[^a-z0-9]/gi, '-')}`
  if (rows.length === 0)
    return (
      <figure class="rate-chart" data-purpose={purpose}>
        <figcaption>
          <strong>{title}</strong>
          <br />
          <span class="muted">No choices in this period.</span>
        </figcaption>
      </figure>
    )
  const max = Math.max(1, ...rows.flatMap((r) => [r.granted, r.withdrawn, r.refused]))
  const scale = (n: number) => ((WIDTH - LABEL - VALUE) * n) / max
  const height = rows.length * (DAY_HEIGHT + DAY_GAP)
  return (
    <figure class="rate-chart" data-purpose={purpose}>
      <figcaption>
        <strong>{title}</strong>
        <br />
        <span class="small" data-testid="rate-totals">
          {totals.granted} yes · {totals.withdrawn} withdrawn · {totals.refused} refused ·{' '}
          {share(totals.granted, all)} yes
        </span>
      </figcaption>
      <svg
        viewBox={`0 0 ${WIDTH} ${height}`}
        role="img"
        aria-labelledby={`${id}-t ${id}-d`}
        width="100%"
      >
        <title id={`${id}-t`}>{`${title}: consent choices per day`}</title>
        <desc id={`${id}-d`}>
          {rows
            .map(
              (r) => `${r.day}: ${r.granted} yes, ${r.withdrawn} withdrawn, ${r.refused} refused`,
            )
            .join('. ')}
        </desc>
        {rows.map((r, i) => {
          const top = i * (DAY_HEIGHT + DAY_GAP)
          return (
            <g key={r.day} data-day={r.day}>
              <text x={0} y={top + DAY_HEIGHT / 2 + 4} font-size="12" fill="#1d2430">
                {r.day.slice(5)}
              </text>
              {KINDS.map((k, j) => {
                const y = top + j * (BAR + GAP)
                const w = scale(r[k.key])
                return (
                  <g key={k.key} data-kind={k.key} data-value={r[k.key]}>
                    <rect x={LABEL} y={y} width={Math.max(w, 0.5)} height={BAR} fill={k.colour} />
                    <text x={LABEL + w + 3} y={y + BAR - 1} font-size="11" fill="#1d2430">
                      {r[k.key]}
                    </text>
                  </g>
                )
              })}
            </g>
          )
        })}
      </svg>
    </figure>
  )
}

function RatesTable({ rows, titles }: { rows: ConsentRate[]; titles: Map<string, string> }) {
  return (
    <table class="stack numbers" data-testid="rates-table">
      <thead>
        <tr>
          <th scope="col">Day (UTC)</th>
          <th scope="col">Purpose</th>
          <th scope="col">Yes</th>
          <th scope="col">Withdrawn</th>
          <th scope="col">Refused</th>
          <th scope="col">Share yes</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={`${r.day}/${r.purpose}`}>
            <td data-label="Day">{r.day}</td>
            <td data-label="Purpose">{titles.get(r.purpose) ?? r.purpose}</td>
            <td data-label="Yes">{r.granted}</td>
            <td data-label="Withdrawn">{r.withdrawn}</td>
            <td data-label="Refused">{r.refused}</td>
            <td data-label="Share yes">{share(r.granted, total(r))}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

/** The period to show, from and to a UTC day (either may be left open); `onShow` shows it. */
function PeriodForm({ onShow }: { onShow: (period: Period) => void }) {
  const [draft, setDraft] = useState<Period>({ from: '', to: '' })
  return (
    <form
      class="filters"
      aria-label="Period of the consent rates"
      onSubmit={(e) => {
        e.preventDefault()
        onShow(draft)
      }}
    >
      <div>
        <label for="rates-from">From</label>
        <input
          id="rates-from"
          type="date"
          value={draft.from}
          onInput={(e) => setDraft({ ...draft, from: (e.target as HTMLInputElement).value })}
        />
      </div>
      <div>
        <label for="rates-to">To</label>
        <input
          id="rates-to"
          type="date"
          value={draft.to}
          onInput={(e) => setDraft({ ...draft, to: (e.target as HTMLInputElement).value })}
        />
      </div>
      <div class="filter-buttons">
        <button type="submit" class="primary">
          Show
        </button>
      </div>
    </form>
  )
}

export function ConsentRatesPanel({
  token,
  notice,
}: {
  token: string
  notice: Notice | undefined
}) {
  const [period, setPeriod] = useState<Period>({ from: '', to: '' })
  const query = {
    ...(period.from === '' ? {} : { from: period.from }),
    ...(period.to === '' ? {} : { to: period.to }),
  }
  const [rates] = useLoad(`${token} ${JSON.stringify(query)}`, () =>
    ok(client.GET('/v1/consent-rates', { headers: bearer(token), params: { query } })),
  )
  const purposes =
    notice === undefined ? [] : noticePurposes(notice).filter((p) => p.group !== 'needed')
  const titles = new Map(purposes.map((p) => [p.key, p.title]))
  return (
    <>
      <PeriodForm onShow={setPeriod} />
      <Status loaded={rates}>
        {({ from, to, days }) => {
          // Purposes the notice names, then any other the ledger holds (a purpose since removed).
          const keys = [
            ...purposes.map((p) => p.key),
            ...new Set(days.map((d) => d.purpose).filter((k) => !titles.has(k))),
          ]
          return (
            <>
              <p class="small">
                {from} to {to} (UTC), from the consent ledger: each choice counts once, on the day
                it was made. Withdrawn: a no after that person's yes; refused: any other no. Days
                without choices are left out.
              </p>
              <ul class="legend" aria-label="Bars, top to bottom">
                {KINDS.map((k) => (
                  <li key={k.key}>
                    <span class="swatch" style={{ background: k.colour }} /> {k.label}
                  </li>
                ))}
              </ul>
              <div class="rate-charts" data-testid="rate-charts">
                {keys.map((key) => (
                  <PurposeChart
                    key={key}
                    purpose={key}
                    title={titles.get(key) ?? key}
                    rows={days.filter((d) => d.purpose === key)}
                  />
                ))}
              </div>
              <details class="rates-figures">
                <summary>Figures as a table</summary>
                {days.length === 0 ? (
                  <p>No consent choices in this period.</p>
                ) : (
                  <RatesTable rows={days} titles={titles} />
                )}
              </details>
            </>
          )
        }}
      </Status>
    </>
  )
}
