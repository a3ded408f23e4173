/**
 * The charter's rules and words for a federated purpose (`federated` on a purpose, issue 22): the
 * browser contributes noisy item-pair reports to the shared model, with the shopper's yes only, at
 * the epsilon the charter declares per report and per day. Kept apart from `charter.rules.ts` and
 * `charter.notice.ts`; both call in here.
 */
import type { Charter, Purpose } from './charter.js'
import type { CharterPath, CharterProblem } from './charter.rules.js'

type At = (...rest: (string | number)[]) => CharterPath

/** Epsilon per contribution and per day of the charter's federated purpose, with its key. */
export interface FederatedTerms {
  readonly purpose: string
  readonly epsilonPerContribution: number
  readonly epsilonPerDay: number
}

/** The federated purpose's terms, or undefined when the charter declares none. */
export function federatedTermsOf(charter: Charter): FederatedTerms | undefined {
  for (const [key, purpose] of Object.entries(charter.purposes))
    if (purpose.federated !== undefined) return { purpose: key, ...purpose.federated }
  return undefined
}

/**
 * A federated purpose rests on consent and is off until the shopper turns it on (opt_in
 * everywhere), stores no events (the server keeps only the summed sketch), spends no more per
 * report than per day, and is the only one in the charter.
 */
export function checkFederatedPurpose(
  charter: Charter,
  key: string,
  purpose: Purpose,
  at: At,
): CharterProblem[] {
  const terms = purpose.federated
  if (terms === undefined) return []
  const problems: CharterProblem[] = []
  const problem = (path: CharterPath, rule: string, reason: string) =>
    problems.push({ path, rule, reason })
  if (purpose.legalBasis !== 'consent')
    problem(
      at('legalBasis'),
      'federated_needs_consent',
      "a browser contributes to the shared model only with the shopper's yes; set legalBasis to consent",
    )
  const optOut = Object.keys(charter.jurisdictions).filter(
    (j) => (purpose.defaults?.[j] ?? purpose.defaults?.['default'] ?? 'opt_in') !== 'opt_in',
  )
  if (optOut.length > 0)
    problem(
      at('defaults'),
      'federated_must_be_opt_in',
      `a federated purpose is off until the shopper turns it on, everywhere (not opt_in in ${optOut.join(', ')})`,
    )
  if (Object.keys(purpose.events).length > 0)
    problem(
      at('events'),
      'federated_stores_no_events',
      'a federated purpose keeps no events: the browser sends noisy reports, never its history',
    )
  if (terms.epsilonPerContribution > terms.epsilonPerDay)
    problem(
      at('federated', 'epsilonPerContribution'),
      'federated_budget_order',
      `epsilon per contribution (${terms.epsilonPerContribution}) cannot exceed epsilon per day (${terms.epsilonPerDay})`,
    )
  const first = federatedTermsOf(charter)
  if (first !== undefined && first.purpose !== key)
    problem(
      at('federated'),
      'federated_purpose_twice',
      `only one purpose may be federated; "${first.purpose}" already is`,
    )
  return problems
}

/** What a federated purpose means for the shopper, in plain words, for the notice. */
export function federatedNoticeText(purpose: Purpose): string | undefined {
  const terms = purpose.federated
  if (terms === undefined) return undefined
  const perDay = Math.floor(terms.epsilonPerDay / terms.epsilonPerContribution + 1e-9)
  return [
    'Your history stays in your browser.',
    `At most ${perDay} ${perDay === 1 ? 'time' : 'times'} a day, your browser sends one pair of products you had, scrambled with random noise, with no name, account or cookie.`,
    `The noise is local differential privacy at epsilon ${terms.epsilonPerContribution} per report and ${terms.epsilonPerDay} per day: no report shows which products you had.`,
    'We only keep running totals of all reports.',
  ].join(' ')
}
