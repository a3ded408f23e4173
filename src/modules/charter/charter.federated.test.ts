import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { AppError } from '../../lib/errors.js'
import { charterIssuesOf, parseCharter } from './index.js'
import { federatedNoticeText, federatedTermsOf } from './charter.federated.js'

const EXAMPLE = readFileSync(
  fileURLToPath(new URL('../../../candor.charter.yaml', import.meta.url)),
  'utf8',
)
const TERMS = 'federated: { epsilonPerContribution: 4, epsilonPerDay: 4 }'

function rulesOf(text: string): string[] {
  try {
    parseCharter(text, { source: 'test.yaml' })
  } catch (error) {
    expect(error).toBeInstanceOf(AppError)
    return charterIssuesOf(error).map((i) => i.rule)
  }
  return []
}

describe('a federated purpose in the charter', () => {
  it('declares its epsilons in the example, and says them in plain words', () => {
    const charter = parseCharter(EXAMPLE, { source: 'example.yaml' })
    expect(federatedTermsOf(charter)).toEqual({
      purpose: 'train_ai_system.federated',
      epsilonPerContribution: 4,
      epsilonPerDay: 4,
    })
    const text = federatedNoticeText(charter.purposes['train_ai_system.federated']!)
    expect(text).toMatch(/At most 1 time a day/)
    expect(text).toMatch(/an epsilon of 4 \(per contribution\)/)
    expect(text).toMatch(/at most about 55 times likelier for one pair/)
    expect(text).toMatch(/an epsilon of at most 4 \(per day\)/)
  })

  it('refuses more per report than per day, another basis, and kept events', () => {
    expect(
      rulesOf(EXAMPLE.replace(TERMS, 'federated: { epsilonPerContribution: 8, epsilonPerDay: 4 }')),
    ).toContain('federated_budget_order')
    const federated = EXAMPLE.indexOf('  train_ai_system.federated:')
    const basis =
      EXAMPLE.slice(0, federated) +
      EXAMPLE.slice(federated).replace('legalBasis: consent', 'legalBasis: legitimate_interest')
    expect(rulesOf(basis)).toContain('federated_needs_consent')
    const events = EXAMPLE.replace(
      TERMS,
      `${TERMS}\n    events:\n      purchase: [item, timestamp]`,
    )
    expect(rulesOf(events)).toContain('federated_stores_no_events')
    expect(rulesOf(EXAMPLE)).toEqual([])
  })
})
