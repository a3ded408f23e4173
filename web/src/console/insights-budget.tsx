/**
 * Privacy budget meters: per key, what is left of its budget in the current rolling period (as epsilon
 * at the charter's delta, and as rho, the unit the server keeps), how many queries spent it, and when the
 * oldest spend still counted leaves the period. An admin sees every analyst's and partner's key.
 */
import { formatDate } from '../api.js'
import { figureText } from './insights-chart.js'
import type { BudgetState, KeyName } from './insights-api.js'

/** Epsilon and rho with up to three decimals (budgets are small numbers). */
export const privacyText = (n: number) =>
  n.toLocaleString('en-GB', { maximumFractionDigits: n !== 0 && Math.abs(n) < 0.01 ? 4 : 3 })

/** Delta as `1e-6` (0 when the mechanism spends none). */
export const deltaText = (delta: number) => (delta === 0 ? '0' : delta.toExponential(0))

/** "renews 7 Jan 2027, 12:00 UTC" or, with nothing spent, that it is whole. */
export function renewalText(budget: BudgetState): string {
  return budget.renewsAt === null
    ? `nothing spent in the last ${budget.periodDays} days`
    : `more becomes free on ${formatDate(budget.renewsAt)}`
}

function Meter({ budget, name }: { budget: BudgetState; name: string }) {
  const id = `budget-${budget.keyId}`
  const left = budget.rho === 0 ? 0 : budget.remainingRho / budget.rho
  return (
    <li
      class="budget"
      data-key={budget.keyId}
      data-remaining-rho={budget.remainingRho}
      data-queries={budget.queries}
    >
      <span id={`${id}-name`} class="budget-name">
        {name}
      </span>
      <meter
        id={id}
        min={0}
        max={budget.rho}
        value={budget.remainingRho}
        low={budget.rho * 0.25}
        high={budget.rho * 0.5}
        optimum={budget.rho}
        aria-labelledby={`${id}-name`}
        aria-describedby={`${id}-text`}
      />
      <span id={`${id}-text`} class="small budget-text">
        <strong>{Math.round(left * 100)}% left</strong>: ε {privacyText(budget.remainingEpsilon)} of{' '}
        {privacyText(budget.epsilon)} (ρ {privacyText(budget.remainingRho)} of{' '}
        {privacyText(budget.rho)}, δ {deltaText(budget.delta)}) for {budget.periodDays} days ·{' '}
        {figureText(budget.queries)} {budget.queries === 1 ? 'query' : 'queries'} ·{' '}
        {renewalText(budget)}
      </span>
    </li>
  )
}

/**
 * One meter per budget; `own` (the caller's key id) is named as such, others by their key's name and
 * role when the admin's key list is at hand.
 */
export function BudgetMeters(props: {
  budgets: BudgetState[]
  own: string
  names: Map<string, KeyName> | undefined
}) {
  const nameOf = (b: BudgetState) => {
    const key = props.names?.get(b.keyId)
    const named = key === undefined ? b.keyId : `${key.name} (${key.role.replace('_', ' ')})`
    return b.keyId === props.own ? `This key: ${named}` : named
  }
  if (props.budgets.length === 0)
    return <p class="muted">No analyst or partner key has a budget yet.</p>
  return (
    <ul class="budgets" data-testid="insights-budgets">
      {props.budgets.map((b) => (
        <Meter key={b.keyId} budget={b} name={nameOf(b)} />
      ))}
    </ul>
  )
}
