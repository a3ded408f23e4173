/**
 * The console's Insights panel: statistics over the events the charter lets feed them, protected by
 * differential privacy (`POST /v1/insights/queries`). The analyst builds a query, dry-runs it to see
 * its cost beside the budget left (nothing spent), then runs it: the answer is a bar chart with 95%
 * interval whiskers and a table of every figure. The budget meters below show every key's budget (all
 * analyst and partner keys for an admin or privacy officer, else the caller's own) and move after each
 * query. A query the budget cannot pay for is refused (403 `privacy_budget_exhausted`), and the panel
 * says when the budget renews.
 */
import { useState } from 'preact/hooks'
import { formatDate } from '../api.js'
import { BudgetMeters, deltaText, privacyText } from './insights-budget.js'
import { InsightsChart, InsightsTable } from './insights-chart.js'
import { type Draft, MEASURE_NAMES, QueryForm, initialDraft, queryOf } from './insights-form.js'
import {
  type Dimension,
  type InsightsAnswer,
  type Refusal,
  formFieldOf,
  loadAllBudgets,
  loadKeyNames,
  loadOwnBudget,
  refusalOf,
  runQuery,
} from './insights-api.js'
import { Status, useLoad } from './load.js'

/** What the panel may call, from the server's route table (`GET /v1/me`). */
export interface InsightsMay {
  query: boolean
  ownBudget: boolean
  allBudgets: boolean
  keyNames: boolean
}

/** A query answered: what was asked, for the chart's words, and the answer. */
interface Shown {
  answer: InsightsAnswer
  groupBy: Dimension[]
  measure: string
  epsilon: number
}

/** The cost of the dry-run query beside the budget left, before anything is spent. */
function CostNote({ answer, epsilon }: { answer: InsightsAnswer; epsilon: number }) {
  const { cost, budget } = answer
  const tooMuch = cost.rho > budget.remainingRho + 1e-12
  return (
    <div class="ins-cost" data-testid="insights-cost" data-rho={cost.rho}>
      <p>
        This query spends <strong>ρ {privacyText(cost.rho)}</strong> of this key's budget (ε{' '}
        {privacyText(epsilon)}, so ρ = ε²/2; on its own that is ε {privacyText(cost.epsilon)} at δ{' '}
        {deltaText(cost.delta)}). Left in the last {budget.periodDays} days:{' '}
        <strong data-testid="insights-left">
          ρ {privacyText(budget.remainingRho)} of {privacyText(budget.rho)}
        </strong>{' '}
        (ε {privacyText(budget.remainingEpsilon)} of {privacyText(budget.epsilon)} at δ{' '}
        {deltaText(budget.delta)}).
      </p>
      {tooMuch ? (
        <p class="error">
          That is more than is left: running it now would be refused
          {budget.renewsAt === null ? '' : ` until ${formatDate(budget.renewsAt)} or later`}.
        </p>
      ) : null}
      <p class="small muted">
        Each shopper counts at most {answer.contribution.maxRowsPerGroup} times in a group and in at
        most {answer.contribution.maxGroupsPerSubject} groups, so one shopper can change the figures
        by at most {privacyText(answer.sensitivity.l1)} in all: the noise is sized to hide that.
      </p>
    </div>
  )
}

/** Why the last query was refused, in words, next to the form. */
function RefusalNote({ refusal }: { refusal: Refusal }) {
  if (refusal.kind === 'exhausted')
    return (
      <div role="alert" class="ins-refused" data-testid="insights-exhausted">
        <p>
          <strong>This key's privacy budget is used up for now.</strong> The query would spend more
          than is left
          {refusal.remaining === null ? '' : ` (ρ ${privacyText(refusal.remaining)} left)`}, and
          spending more would let the answers, taken together, tell too much about single shoppers.
        </p>
        <p>
          {refusal.renewsAt === null
            ? 'The budget renews as past queries leave the rolling period.'
            : `More of it becomes free on ${formatDate(refusal.renewsAt)}, as past queries leave the rolling period.`}
          {refusal.remaining !== null && refusal.remaining > 0
            ? ' A query with a smaller ε may still fit now.'
            : ''}
        </p>
      </div>
    )
  if (refusal.kind === 'fields')
    return (
      <p role="alert" class="error" data-testid="insights-invalid">
        Not run: {refusal.text} See the marked {refusal.fields.length === 1 ? 'field' : 'fields'}.
      </p>
    )
  return (
    <p role="alert" class="error">
      Not run: {refusal.text}
    </p>
  )
}

function Answer({ shown }: { shown: Shown }) {
  const { answer, groupBy, measure, epsilon } = shown
  return (
    <div data-testid="insights-answer">
      <p class="small">
        {answer.cells.length} {answer.cells.length === 1 ? 'figure' : 'figures'} released at ε{' '}
        {privacyText(epsilon)}, for ρ {privacyText(answer.cost.rho)} of the budget.
        {answer.suppressed > 0
          ? ` ${answer.suppressed} more ${answer.suppressed === 1 ? 'group was' : 'groups were'} held back: too few shoppers to show without risk.`
          : ''}
        {answer.truncated ? ' Only the largest figures were kept (the limit).' : ''}
      </p>
      {answer.cells.length === 0 ? (
        <p>Nothing to show for this query.</p>
      ) : (
        <>
          <InsightsChart cells={answer.cells} groupBy={groupBy} measure={measure} />
          <InsightsTable cells={answer.cells} groupBy={groupBy} />
        </>
      )}
    </div>
  )
}

function QueryPart({ token, onSpent }: { token: string; onSpent: () => void }) {
  const [draft, setDraft] = useState<Draft>(() => initialDraft())
  const [dry, setDry] = useState<{ key: string; answer: InsightsAnswer }>()
  const [shown, setShown] = useState<Shown>()
  const [busy, setBusy] = useState<'dry' | 'run'>()
  const [refusal, setRefusal] = useState<Refusal>()
  const key = JSON.stringify(queryOf(draft, false))
  const errors = new Map(
    refusal?.kind === 'fields'
      ? refusal.fields.flatMap((f) => {
          const name = formFieldOf(f.field)
          return name === undefined ? [] : [[name, f.reason] as const]
        })
      : [],
  )

  async function send(dryRun: boolean) {
    const query = queryOf(draft, dryRun)
    setBusy(dryRun ? 'dry' : 'run')
    setRefusal(undefined)
    try {
      const answer = await runQuery(token, query)
      setDry({ key, answer })
      if (!dryRun) {
        const measure =
          query.field === undefined
            ? MEASURE_NAMES[query.measure]
            : `${MEASURE_NAMES[query.measure]}: ${query.field}`
        setShown({ answer, groupBy: query.groupBy, measure, epsilon: query.epsilon })
      }
    } catch (e) {
      setRefusal(refusalOf(e))
      if (dry?.key === key) setDry(undefined)
    } finally {
      setBusy(undefined)
      if (!dryRun) onSpent()
    }
  }

  return (
    <>
      <QueryForm
        draft={draft}
        onChange={setDraft}
        errors={errors}
        busy={busy !== undefined}
        checked={dry?.key === key}
        onDryRun={() => void send(true)}
        onRun={() => void send(false)}
      />
      <p role="status" class="ins-progress" data-testid="insights-progress">
        {busy === undefined ? null : (
          <>
            <progress aria-label="Query running" />{' '}
            {busy === 'dry' ? 'Working out the cost…' : 'Running the query…'}
          </>
        )}
      </p>
      {refusal === undefined ? null : <RefusalNote refusal={refusal} />}
      {dry?.key === key ? <CostNote answer={dry.answer} epsilon={Number(draft.epsilon)} /> : null}
      <div aria-busy={busy === 'run'}>{shown === undefined ? null : <Answer shown={shown} />}</div>
    </>
  )
}

export function InsightsPanel(props: { token: string; keyId: string; may: InsightsMay }) {
  const { token, may } = props
  const [budgets, reload] = useLoad(`${token} insights budgets`, async () => {
    const [own, all, names] = await Promise.all([
      may.ownBudget ? loadOwnBudget(token) : undefined,
      may.allBudgets ? loadAllBudgets(token) : [],
      may.keyNames ? loadKeyNames(token).catch(() => undefined) : undefined,
    ])
    const list = [...(own === undefined ? [] : [own]), ...all.filter((b) => b.keyId !== own?.keyId)]
    return { list, names }
  })
  return (
    <>
      <p class="small">
        Counts and sums over the events the charter lets feed statistics, never single rows. Each
        figure carries random noise (differential privacy), so no answer shows whether any one
        shopper is in the data; each query spends part of the key's privacy budget.
      </p>
      {may.query ? <QueryPart token={token} onSpent={reload} /> : null}
      <h3>Privacy budgets</h3>
      <Status loaded={budgets}>
        {({ list, names }) => <BudgetMeters budgets={list} own={props.keyId} names={names} />}
      </Status>
    </>
  )
}
