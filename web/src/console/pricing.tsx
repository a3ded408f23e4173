/**
 * The pricing panel (issue 24): the category rules (`./pricing-rules.tsx`), a "Run now" button, the
 * pending suggestions with their explanation, elasticity and 95% interval, Approve and Reject (a 409, a
 * suggestion no longer valid, said plainly), and a Vega-Lite chart of the suggested against the current
 * price per item, drawn by the console's shared `VegaChart`. Everything goes through the pricing API;
 * nothing here about a shopper, as pricing has none.
 */
import { useMemo, useState } from 'preact/hooks'
import { ApiError } from '../api.js'
import { type AnswerOf, bearer, client, ok } from '../client.js'
import { VegaChart } from '../vega-chart.js'
import { Status, useLoad } from './load.js'
import {
  EMPTY_RULE_FORM,
  RuleForm,
  type RuleFormState,
  RuleTable,
  formOf,
} from './pricing-rules.js'
import './pricing.css'

type Suggestion = AnswerOf<'/v1/pricing/suggestions', 'get'>['suggestions'][number]
type RunAnswer = AnswerOf<'/v1/pricing/runs', 'post'>

const money = (n: number, currency?: string) =>
  `${n.toFixed(2)}${currency === undefined ? '' : ` ${currency}`}`
const signed = (n: number) => `${n >= 0 ? '+' : ''}${(n * 100).toFixed(1)}%`
const e2 = (n: number) => n.toFixed(2)

/** The suggested against the current price per item, as a Vega-Lite dot plot joined by a line. */
export function priceChartSpec(suggestions: Suggestion[]): Record<string, unknown> {
  const values = suggestions.flatMap((s) => [
    { item: s.item, price: s.currentPrice, kind: 'current' },
    { item: s.item, price: s.suggestedPrice, kind: 'suggested' },
  ])
  const y = { field: 'item', type: 'nominal', title: null }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    description: 'Current and suggested price per item with a pending suggestion',
    width: 280,
    config: { legend: { orient: 'bottom' } },
    data: { values },
    layer: [
      {
        mark: { type: 'line', color: '#888' },
        encoding: { y, x: { field: 'price', type: 'quantitative' }, detail: { field: 'item' } },
      },
      {
        mark: { type: 'point', filled: true, size: 90 },
        encoding: {
          y,
          x: { field: 'price', type: 'quantitative', title: 'price', scale: { zero: false } },
          color: {
            field: 'kind',
            type: 'nominal',
            title: 'price',
            scale: { domain: ['current', 'suggested'], range: ['#555', '#0b6e4f'] },
          },
          shape: { field: 'kind', type: 'nominal', title: 'price' },
        },
      },
    ],
  }
}

/** What a failed decision means, in words: a 409 is a suggestion overtaken by events. */
function decisionFailure(s: Suggestion, e: unknown): string {
  if (e instanceof ApiError && e.status === 409)
    return `Could not decide the suggestion for ${s.item}: ${e.message}. Nothing was changed; run again for a fresh suggestion.`
  return `Could not decide the suggestion for ${s.item}: ${e instanceof Error ? e.message : String(e)}`
}

function SuggestionRow(props: {
  s: Suggestion
  decide: (s: Suggestion, d: 'approve' | 'reject') => void
  busy: boolean
}) {
  const { s, decide, busy } = props
  const el = s.elasticity
  return (
    <tr data-item={s.item} data-id={s.id}>
      <td data-label="Item">
        <span class="mono">{s.item}</span> <span class="muted small">{s.category}</span>
      </td>
      <td data-label="Price">
        {money(s.currentPrice, s.currency)} → <strong>{money(s.suggestedPrice, s.currency)}</strong>{' '}
        ({signed(s.suggestedPrice / s.currentPrice - 1)})
      </td>
      <td data-label="Why" class="pricing-why">
        {s.explanation}
      </td>
      <td data-label="Elasticity">
        {e2(el.value)}{' '}
        <span class="small">
          (95% interval {e2(el.low)} to {e2(el.high)},
        </span>{' '}
        <span class="small">{el.scope === 'item' ? 'this item' : 'its category'})</span>
      </td>
      <td data-label="Decide">
        <div class="filter-buttons">
          <button
            type="button"
            class="primary"
            disabled={busy}
            aria-label={`Approve ${s.item}`}
            onClick={() => decide(s, 'approve')}
          >
            Approve
          </button>
          <button
            type="button"
            disabled={busy}
            aria-label={`Reject ${s.item}`}
            onClick={() => decide(s, 'reject')}
          >
            Reject
          </button>
        </div>
      </td>
    </tr>
  )
}

function Suggestions({
  token,
  list,
  reload,
}: {
  token: string
  list: Suggestion[]
  reload: () => void
}) {
  const [busy, setBusy] = useState(false)
  const [said, setSaid] = useState<{ text: string; error: boolean }>()
  const spec = useMemo(() => priceChartSpec(list), [list])
  const decide = (s: Suggestion, decision: 'approve' | 'reject') => {
    setBusy(true)
    setSaid(undefined)
    ok(
      client.POST('/v1/pricing/suggestions/{id}/decision', {
        headers: bearer(token),
        params: { path: { id: s.id } },
        body: { decision },
      }),
    )
      .then((d) =>
        setSaid({
          text:
            decision === 'approve'
              ? `Approved: ${d.item} now costs ${money(d.suggestedPrice, d.currency)}.`
              : `Rejected the suggestion for ${d.item}; its price stays ${money(d.currentPrice, d.currency)}.`,
          error: false,
        }),
      )
      .catch((e: unknown) => setSaid({ text: decisionFailure(s, e), error: true }))
      .finally(() => (setBusy(false), reload()))
  }
  return (
    <>
      {said === undefined ? null : (
        <p
          role={said.error ? 'alert' : 'status'}
          class={said.error ? 'error' : undefined}
          data-testid="pricing-decision-said"
        >
          {said.text}
        </p>
      )}
      {list.length === 0 ? (
        <p class="muted">No suggestion is waiting for a decision.</p>
      ) : (
        <>
          <table class="stack" data-testid="pricing-suggestions">
            <thead>
              <tr>
                <th scope="col">Item</th>
                <th scope="col">Price</th>
                <th scope="col">Why</th>
                <th scope="col">Elasticity</th>
                <th scope="col">Decide</th>
              </tr>
            </thead>
            <tbody>
              {list.map((s) => (
                <SuggestionRow key={s.id} s={s} decide={decide} busy={busy} />
              ))}
            </tbody>
          </table>
          <VegaChart
            name="pricing-suggested-vs-current"
            title="Suggested against current price, per item"
            spec={spec}
          />
        </>
      )}
    </>
  )
}

function RunBox({ token, ran }: { token: string; ran: () => void }) {
  const [answer, setAnswer] = useState<RunAnswer | string>()
  const [busy, setBusy] = useState(false)
  const run = () => {
    setBusy(true)
    ok(client.POST('/v1/pricing/runs', { headers: bearer(token) }))
      .then((a) => (setAnswer(a), ran()))
      .catch((e: unknown) => setAnswer(e instanceof Error ? e.message : String(e)))
      .finally(() => setBusy(false))
  }
  return (
    <div class="pricing-run">
      <button type="button" class="primary" disabled={busy} onClick={run}>
        Run now
      </button>
      {answer === undefined ? null : typeof answer === 'string' ? (
        <p class="error" role="alert">
          {answer}
        </p>
      ) : (
        <div role="status" data-testid="pricing-run-said">
          <p>
            {answer.suggestions.length} suggestion{answer.suggestions.length === 1 ? '' : 's'},{' '}
            {answer.skipped.length} item{answer.skipped.length === 1 ? '' : 's'} left alone.
          </p>
          {answer.skipped.length === 0 ? null : (
            <details>
              <summary>Why items were left alone</summary>
              <ul class="small">
                {answer.skipped.map((k) => (
                  <li key={k.item}>
                    <span class="mono">{k.item}</span>: {k.reason}
                  </li>
                ))}
              </ul>
            </details>
          )}
        </div>
      )}
    </div>
  )
}

/** The pricing panel, for a key that may set rules and decide suggestions (admin). */
export function PricingPanel({ token }: { token: string }) {
  const [rules, reloadRules] = useLoad(`${token} pricing rules`, () =>
    ok(client.GET('/v1/pricing/rules', { headers: bearer(token) })).then((a) => a.rules),
  )
  const [pending, reloadPending] = useLoad(`${token} pricing pending`, () =>
    ok(
      client.GET('/v1/pricing/suggestions', {
        headers: bearer(token),
        params: { query: { status: 'pending' } },
      }),
    ).then((a) => a.suggestions),
  )
  const [form, setForm] = useState<RuleFormState>(EMPTY_RULE_FORM)
  return (
    <section class="panel" aria-labelledby="pricing-h" data-testid="pricing-panel">
      <h2 id="pricing-h">Pricing</h2>
      <p class="small muted">
        Suggestions come from demand over every shopper together, stock and the elasticity estimated
        from the shop's own sales, within each category's rules; never from anything about one
        shopper.
      </p>
      <h3>Category rules</h3>
      <Status loaded={rules}>
        {(list) => <RuleTable rules={list} edit={(r) => setForm(formOf(r))} />}
      </Status>
      <RuleForm token={token} form={form} setForm={setForm} saved={reloadRules} />
      <h3>Suggestions waiting for a decision</h3>
      <RunBox token={token} ran={reloadPending} />
      <Status loaded={pending}>
        {(list) => <Suggestions token={token} list={list} reload={reloadPending} />}
      </Status>
    </section>
  )
}
