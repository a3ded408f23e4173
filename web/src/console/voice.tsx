/**
 * The voice panel (issue 21): the daily trends of negative entries per aspect (relevance, privacy or
 * "creepy", price, delivery, quality) as a Vega-Lite chart drawn like the other console charts
 * (`../vega-chart.tsx`), the items with recent negative entries, whether the respondents look like the
 * shopper base (in words), and the live feed of entries and alerts (`./voice-feed.tsx`). Everything
 * comes from the voice routes (`GET /v1/voice/trends`, `/negative-items`, `/representativeness`,
 * `/feed`), which answer no shopper reference or pseudonym, so none can be shown.
 */
import { useMemo, useState } from 'preact/hooks'
import { formatDate } from '../api.js'
import { type AnswerOf, bearer, client, ok } from '../client.js'
import { VegaChart } from '../vega-chart.js'
import { Status, useLoad } from './load.js'
import { type FeedItem, FeedList, useVoiceFeed } from './voice-feed.js'
import { SurveysList } from './voice-surveys.js'
import './reports.css'
import './voice.css'

type Trends = AnswerOf<'/v1/voice/trends', 'get'>
type NegativeItem = AnswerOf<'/v1/voice/negative-items', 'get'>['items'][number]
type Representativeness = AnswerOf<'/v1/voice/representativeness', 'get'>

/** The aspects in the order shown, with the words the panel uses for them. */
export const ASPECT_WORDS = [
  { aspect: 'relevance', label: 'Relevance' },
  { aspect: 'privacy', label: 'Privacy ("creepy")' },
  { aspect: 'price', label: 'Price' },
  { aspect: 'delivery', label: 'Delivery' },
  { aspect: 'quality', label: 'Quality' },
] as const

/** The days the panel looks back over: trends and the negative items. */
const TREND_DAYS = 30
const NEGATIVE_DAYS = 7

const pct = (share: number) => `${Math.round(share * 100)}%`

/** The Vega-Lite spec of the trends: one line per aspect, its negative entries per day. */
export function voiceTrendsSpec(days: Trends['days']): Record<string, unknown> {
  const values = days.flatMap((d) =>
    ASPECT_WORDS.map(({ aspect, label }) => ({
      day: d.day,
      aspect: label,
      negative: d.aspects[aspect]?.negative ?? 0,
      entries: d.aspects[aspect]?.entries ?? 0,
    })),
  )
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    description: 'Negative entries per aspect and day',
    width: 'container',
    height: 200,
    autosize: { type: 'fit-x', contains: 'padding' },
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'day', type: 'temporal', title: null, axis: { format: '%d %b', labelAngle: 0 } },
      y: {
        field: 'negative',
        type: 'quantitative',
        title: 'negative entries',
        axis: { tickMinStep: 1, format: 'd' },
      },
      color: {
        field: 'aspect',
        type: 'nominal',
        title: null,
        sort: ASPECT_WORDS.map((a) => a.label),
        scale: { range: ['#1d4e89', '#9b1c1c', '#b86e00', '#5b3a8c', '#2e7d32'] },
        legend: { orient: 'bottom', columns: 2 },
      },
      tooltip: [
        { field: 'day', type: 'temporal' },
        { field: 'aspect' },
        { field: 'negative' },
        { field: 'entries' },
      ],
    },
  }
}

/** Per aspect over the whole window: entries, negative ones, and their share (the chart as a table). */
function AspectTable({ days }: { days: Trends['days'] }) {
  return (
    <table class="stack" data-testid="voice-aspects">
      <thead>
        <tr>
          <th scope="col">Aspect</th>
          <th scope="col">Entries</th>
          <th scope="col">Negative</th>
        </tr>
      </thead>
      <tbody>
        {ASPECT_WORDS.map(({ aspect, label }) => {
          const entries = days.reduce((a, d) => a + (d.aspects[aspect]?.entries ?? 0), 0)
          const negative = days.reduce((a, d) => a + (d.aspects[aspect]?.negative ?? 0), 0)
          return (
            <tr key={aspect} data-aspect={aspect}>
              <th scope="row">{label}</th>
              <td data-label="Entries">{entries}</td>
              <td data-label="Negative" data-negative={negative}>
                {negative}
                {entries === 0 ? '' : ` (${pct(negative / entries)})`}
              </td>
            </tr>
          )
        })}
      </tbody>
    </table>
  )
}

function NegativeItems({ items }: { items: NegativeItem[] }) {
  if (items.length === 0)
    return <p class="muted">No negative entry about an item in the last {NEGATIVE_DAYS} days.</p>
  return (
    <table class="stack" data-testid="negative-items">
      <thead>
        <tr>
          <th scope="col">Item</th>
          <th scope="col">Negative · all</th>
          <th scope="col">Mean rating</th>
          <th scope="col">About</th>
          <th scope="col">Latest negative</th>
        </tr>
      </thead>
      <tbody>
        {items.map((i) => (
          <tr key={i.item} data-item={i.item}>
            <th scope="row" class="mono">
              {i.item}
            </th>
            <td data-label="Negative · all" data-negative={i.negative}>
              {i.negative} of {i.entries}
            </td>
            <td data-label="Mean rating">{i.meanRating === null ? '—' : i.meanRating}</td>
            <td data-label="About">{i.aspects.join(', ') || '—'}</td>
            <td data-label="Latest negative">{formatDate(i.lastNegativeAt)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

const DIMENSION_WORDS: Record<string, string> = {
  jurisdiction: 'jurisdiction',
  level: 'personalization level',
  tenure: 'new or returning',
}

/** The representativeness check in words: judged or not, and per dimension what differs. */
function RepresentativenessWords({ r }: { r: Representativeness }) {
  const verdict =
    r.skewed === null
      ? `Too few respondents to judge: ${r.respondents} known shoppers answered in the last 30 days, ${r.minRespondents} are needed.`
      : r.skewed
        ? `Skewed: the ${r.respondents} respondents do not look like the ${r.baseShoppers} shoppers; read the trends with care.`
        : `The ${r.respondents} respondents look like the ${r.baseShoppers} shoppers.`
  return (
    <div data-testid="representativeness" data-skewed={String(r.skewed)}>
      <p class={r.skewed === true ? 'flag' : ''}>{verdict}</p>
      {r.anonymousRespondents > 0 ? (
        <p class="muted small">
          {r.anonymousRespondents} anonymous visits also answered; they are not compared.
        </p>
      ) : null}
      {r.skewed === null ? null : (
        <ul class="voice-dimensions">
          {r.dimensions.map((d) => {
            const apart = [...d.groups].sort(
              (a, b) => Math.abs(b.respondents - b.base) - Math.abs(a.respondents - a.base),
            )[0]
            return (
              <li key={d.dimension} data-dimension={d.dimension} data-skewed={String(d.skewed)}>
                By {DIMENSION_WORDS[d.dimension] ?? d.dimension}:{' '}
                {d.skewed ? <strong>skewed</strong> : 'in line'} (distance {d.distance.toFixed(2)},
                skewed above {r.threshold})
                {apart === undefined
                  ? ''
                  : `; ${apart.group}: ${pct(apart.respondents)} of respondents, ${pct(apart.base)} of shoppers`}
              </li>
            )
          })}
        </ul>
      )}
    </div>
  )
}

/** The voice panel, for keys that may read the voice trends (analyst, admin). */
export function VoicePanel({ token }: { token: string }) {
  const [trends, reloadTrends] = useLoad(`${token} voice-trends`, () =>
    ok(client.GET('/v1/voice/trends', { headers: bearer(token) })),
  )
  const [negative, reloadNegative] = useLoad(`${token} voice-negative`, () =>
    ok(
      client.GET('/v1/voice/negative-items', {
        headers: bearer(token),
        params: { query: { days: NEGATIVE_DAYS, limit: 20 } },
      }),
    ).then((a) => a.items),
  )
  const [represent] = useLoad(`${token} voice-representativeness`, () =>
    ok(client.GET('/v1/voice/representativeness', { headers: bearer(token) })),
  )
  // A survey answer changes the surveys' counts; a negative entry the trends and the negative items.
  const [answers, setAnswers] = useState(0)
  const feed = useVoiceFeed(token, (item: FeedItem) => {
    if (item.type === 'entry' && item.entry.kind === 'survey') setAnswers((n) => n + 1)
    if (item.type === 'entry' && item.entry.negative) {
      reloadTrends()
      reloadNegative()
    }
  })
  const spec = useMemo(
    () => (trends.state === 'ok' ? voiceTrendsSpec(trends.value.days) : undefined),
    [trends],
  )
  return (
    <section class="panel" aria-labelledby="voice-h" data-testid="voice-panel">
      <h2 id="voice-h">Voice of the customer</h2>
      <h3>Live feed</h3>
      <FeedList state={feed.state} items={feed.items} />
      <h3>Negative entries per aspect, last {TREND_DAYS} days</h3>
      <Status loaded={trends}>
        {({ days }) => (
          <>
            {spec === undefined ? null : (
              <VegaChart
                name="voice-trends"
                title={`Negative entries per aspect and day, ${days[0]?.day ?? ''} to ${days.at(-1)?.day ?? ''}`}
                spec={spec}
              />
            )}
            <AspectTable days={days} />
          </>
        )}
      </Status>
      <h3>Items with negative entries, last {NEGATIVE_DAYS} days</h3>
      <Status loaded={negative}>{(items) => <NegativeItems items={items} />}</Status>
      <h3>Who answered</h3>
      <Status loaded={represent}>{(r) => <RepresentativenessWords r={r} />}</Status>
      <h3>Surveys</h3>
      <SurveysList token={token} version={answers} />
    </section>
  )
}
