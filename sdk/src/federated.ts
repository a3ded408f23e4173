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

/** The charter purpose whose yes lets this browser contribute (`GET /v1/federated/terms` names it). */
export const FEDERATED_PURPOSE = 'train_ai_system.federated'

/** What `GET /v1/federated/terms` answers: the purpose, the budget and the sketch's shape. */
export interface FederatedTerms {
  purpose: string
  epsilonPerContribution: number
  epsilonPerDay: number
  sketch: { m: number; k: number }
}

/** Where the ledger is kept: localStorage by default, anything with the same two methods in tests. */
export interface LedgerStore {
  getItem(key: string): string | null
  setItem(key: string, value: string): void
}

/** The charter's terms (anonymous: no cookie, no key), or undefined when it declares none. */
export async function fetchFederatedTerms(baseUrl: string): Promise<FederatedTerms | undefined> {
  const answer = await fetch(`${baseUrl}/v1/federated/terms`, { credentials: 'omit' })
  return answer.ok ? ((await answer.json()) as FederatedTerms) : undefined
}

/**
 * Sends as many of `pairs` (two different item ids each) as today's budget allows, at most one
 * report per pair, and answers how many went. No cookie, no key, no shopper id goes with them.
 * `terms`: ones already fetched (else they are fetched first).
 */
export async function contributePairs(
  baseUrl: string,
  pairs: readonly (readonly [string, string])[],
  store: LedgerStore = (globalThis as unknown as { localStorage: LedgerStore }).localStorage,
  now: Date = new Date(),
  terms?: FederatedTerms,
): Promise<number> {
  const usable = pairs.filter(([a, b]) => a !== b)
  if (usable.length === 0) return 0
  const t = terms ?? (await fetchFederatedTerms(baseUrl))
  if (t === undefined) return 0
  const stored = store.getItem(LEDGER_KEY)
  const ledger = stored === null ? undefined : (JSON.parse(stored) as BudgetLedger)
  const spent = spendBudget(ledger, now, t, usable.length)
  if (spent.allowed === 0) return 0
  const epsilon = t.epsilonPerContribution
  const reports = usable
    .slice(0, spent.allowed)
    .map(([a, b]) => toWire(encodePair(a, b, epsilon, t.sketch)))
  // The budget is spent before sending: a report that left the browser counts even if the answer is lost.
  store.setItem(LEDGER_KEY, JSON.stringify(spent.ledger))
  const sent = await fetch(`${baseUrl}/v1/federated/contributions`, {
    method: 'POST',
    credentials: 'omit',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ epsilon, sketch: t.sketch, reports }),
  })
  return sent.ok ? reports.length : 0
}
