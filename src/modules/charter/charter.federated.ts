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

/** e^epsilon in plain figures, two significant digits: "about 2.7", "about 55", "about 3,000". */
function likelier(epsilon: number): string {
  const x = Math.exp(epsilon)
  const step = 10 ** (Math.floor(Math.log10(x)) - 1)
  const rounded = Number((Math.round(x / step) * step).toPrecision(2))
  return `about ${rounded.toLocaleString('en-US')}`
}

/**
 * What a federated purpose means for the shopper, in plain words, for the notice: what the browser
 * sends and how often, and the two epsilons (per report, per day) with what they mean. For epsilon
 * e, an e-LDP report is at most e^e times likelier under one pair than under any other.
 */
export function federatedNoticeText(purpose: Purpose): string | undefined {
  const terms = purpose.federated
  if (terms === undefined) return undefined
  const { epsilonPerContribution: perReport, epsilonPerDay: perDay } = terms
  const reports = Math.floor(perDay / perReport + 1e-9)
  return [
    'Your history stays in your browser.',
    `At most ${reports} ${reports === 1 ? 'time' : 'times'} a day, your browser sends us one pair of products from your history.`,
    'The pair is scrambled with random noise first, and goes with no name, account, cookie or product code in the clear.',
    'How much a report can give away is measured by a number called epsilon.',
    'The smaller it is, the more noise, and the less a report says.',
    `Each report has an epsilon of ${perReport} (per contribution).`,
    `So whatever we see in it is at most ${likelier(perReport)} times likelier for one pair of products than for any other.`,
    'No single report shows which products you had.',
    `All your browser's reports of one day together have an epsilon of at most ${perDay} (per day).`,
    `Taken together, they are at most ${likelier(perDay)} times likelier for one history than for another.`,
    'Each pair is sent once at most. We only keep running totals of all reports, per day.',
  ].join(' ')
}
