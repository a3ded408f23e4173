/**
 * Federated contributions from the browser (issue 22 part B): item pairs from the shopper's local
 * history, each encoded as a locally differentially private count-mean-sketch report, sent without
 * any identifier, within the charter's epsilon per day (the ledger lives in this browser only).
 * The encoder and the budget are the server's own code (`src/modules/federated/`), compiled in.
 * Call it only when the shopper has said yes to the charter's federated purpose.
 *
 * @example
 * await contributePairs('https://candor.example', [['85123A', '22423']])
 */
import { spendBudget, type BudgetLedger } from '../../src/modules/federated/budget.js'
import { encodePair, toWire } from '../../src/modules/federated/sketch.js'

const LEDGER_KEY = 'candor.federated.ledger'

interface Terms {
  epsilonPerContribution: number
  epsilonPerDay: number
  sketch: { m: number; k: number }
}

/** Where the ledger is kept: localStorage by default, anything with the same two methods in tests. */
export interface LedgerStore {
  getItem(key: string): string | null
  setItem(key: string, value: string): void
}

/**
 * Sends as many of `pairs` (two different item ids each) as today's budget allows, at most one
 * report per pair, and answers how many went. No cookie, no key, no shopper id goes with them.
 */
export async function contributePairs(
  baseUrl: string,
  pairs: readonly (readonly [string, string])[],
  store: LedgerStore = (globalThis as unknown as { localStorage: LedgerStore }).localStorage,
  now: Date = new Date(),
): Promise<number> {
  const usable = pairs.filter(([a, b]) => a !== b)
  if (usable.length === 0) return 0
  const answer = await fetch(`${baseUrl}/v1/federated/terms`, { credentials: 'omit' })
  if (!answer.ok) return 0
  const terms = (await answer.json()) as Terms
  const stored = store.getItem(LEDGER_KEY)
  const ledger = stored === null ? undefined : (JSON.parse(stored) as BudgetLedger)
  const spent = spendBudget(ledger, now, terms, usable.length)
  if (spent.allowed === 0) return 0
  const epsilon = terms.epsilonPerContribution
  const reports = usable
    .slice(0, spent.allowed)
    .map(([a, b]) => toWire(encodePair(a, b, epsilon, terms.sketch)))
  // The budget is spent before sending: a report that left the browser counts even if the answer is lost.
  store.setItem(LEDGER_KEY, JSON.stringify(spent.ledger))
  const sent = await fetch(`${baseUrl}/v1/federated/contributions`, {
    method: 'POST',
    credentials: 'omit',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ epsilon, sketch: terms.sketch, reports }),
  })
  return sent.ok ? reports.length : 0
}
