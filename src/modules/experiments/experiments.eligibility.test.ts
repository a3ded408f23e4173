import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CONSENT_REASONS } from '../consent/index.js'
import { decideEligibility } from './experiments.eligibility.js'

const decision = fc.record({ allowed: fc.boolean(), reason: fc.constantFrom(...CONSENT_REASONS) })
const level = fc.constantFrom('off', 'session', 'personal', undefined)

describe('who may be enrolled in an experiment', () => {
  it('never enrols a restricted shopper or one who chose off, whatever their consent says', () => {
    fc.assert(
      fc.property(decision, level, fc.boolean(), (d, l, restricted) => {
        const reason = decideEligibility({ restricted, level: l, decision: d })
        if (restricted) expect(reason).toBe('restricted')
        else if (l === 'off' && d.reason !== 'restricted') expect(reason).toBe('level_off')
        if (!d.allowed) expect(reason).toBeDefined()
      }),
    )
  })

  it('names an objection, and enrols only when the purpose is allowed', () => {
    const base = { restricted: false, level: 'session' as const }
    expect(
      decideEligibility({ ...base, decision: { allowed: false, reason: 'explicit_denial' } }),
    ).toBe('objected')
    expect(decideEligibility({ ...base, decision: { allowed: false, reason: 'gpc' } })).toBe(
      'objected',
    )
    expect(decideEligibility({ ...base, decision: { allowed: false, reason: 'no_record' } })).toBe(
      'no_consent',
    )
    expect(
      decideEligibility({ ...base, decision: { allowed: true, reason: 'explicit_grant' } }),
    ).toBeUndefined()
  })
})
