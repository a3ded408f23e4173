import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  SERVED_TOUCHPOINTS,
  capWindow,
  noticeVersionOf,
  parseCharter,
  resolveDefault,
  type PurposeKey,
} from '../charter/index.js'
import {
  ConsentRecordSchema,
  decideAll,
  decideConsent,
  decidePersonalizationLevel,
  gpcRecords,
  progressivePrompt,
  type ConsentDecision,
  type ConsentMethod,
  type ConsentRecord,
  type PersonalizationLevel,
} from './index.js'

const charter = parseCharter(
  readFileSync(fileURLToPath(new URL('../../../candor.charter.yaml', import.meta.url)), 'utf8'),
)
const VERSION = noticeVersionOf(charter)
const T0 = new Date('2026-01-01T10:00:00Z')
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000)
const PURPOSES = Object.keys(charter.purposes)
const CONSENT_PURPOSES = PURPOSES.filter((p) => charter.purposes[p]!.legalBasis === 'consent')
const CHOOSABLE = PURPOSES.filter((p) => charter.purposes[p]!.legalBasis !== 'contract')
const ADS = 'marketing.advertising.third_party'
const RECS = 'personalize.recommendations'
const ANALYTICS = 'analytics.reporting'

function record(
  purpose: PurposeKey,
  decision: 'granted' | 'denied',
  minutes: number,
  method: ConsentMethod = 'privacy_center',
): ConsentRecord {
  return {
    purpose,
    decision,
    method,
    noticeVersion: VERSION,
    jurisdiction: 'UK',
    recordedAt: at(minutes),
  }
}

function decide(
  purpose: PurposeKey,
  records: ConsentRecord[],
  extra: Partial<{ jurisdiction: string; gpc: boolean; restricted: boolean; now: Date }> = {},
) {
  return decideConsent({ charter, purpose, jurisdiction: 'UK', records, now: at(1000), ...extra })
}

describe('decideConsent', () => {
  it('denies a consent-based purpose with no record, everywhere', () => {
    for (const jurisdiction of ['EU', 'UK', 'US-CA', 'BR', 'default']) {
      expect(decide(RECS, [], { jurisdiction })).toMatchObject({
        allowed: false,
        reason: 'no_record',
        basis: 'consent',
      })
    }
  })

  it('applies the jurisdiction default to a legitimate-interest purpose with no record', () => {
    expect(decide(ANALYTICS, [], { jurisdiction: 'US-CA' })).toMatchObject({
      allowed: true,
      reason: 'jurisdiction_default',
      default: 'opt_out',
    })
    expect(decide(ANALYTICS, [], { jurisdiction: 'UK' })).toMatchObject({
      allowed: false,
      reason: 'jurisdiction_default',
      default: 'opt_in',
    })
    // An unknown jurisdiction falls back to `default`.
    expect(decide(ANALYTICS, [], { jurisdiction: 'BR' })).toMatchObject({
      allowed: false,
      jurisdiction: 'default',
    })
  })

  it('follows the latest record: grant, then withdrawal takes effect at once', () => {
    const granted = [record(RECS, 'granted', 1)]
    expect(decide(RECS, granted)).toMatchObject({ allowed: true, reason: 'explicit_grant' })
    const withdrawn = [...granted, record(RECS, 'denied', 2)]
    expect(decide(RECS, withdrawn, { now: at(2) })).toMatchObject({
      allowed: false,
      reason: 'explicit_denial',
    })
  })

  it('orders by time, breaking ties by ledger order, and ignores records from the future', () => {
    expect(decide(RECS, [record(RECS, 'denied', 5), record(RECS, 'granted', 1)]).allowed).toBe(
      false,
    )
    expect(decide(RECS, [record(RECS, 'granted', 5), record(RECS, 'denied', 5)]).allowed).toBe(
      false,
    )
    expect(decide(RECS, [record(RECS, 'granted', 1), record(RECS, 'denied', 2000)]).allowed).toBe(
      true,
    )
  })

  it('lets an objection stop a legitimate-interest purpose', () => {
    expect(
      decide(ANALYTICS, [record(ANALYTICS, 'denied', 1)], { jurisdiction: 'US-CA' }),
    ).toMatchObject({ allowed: false, reason: 'explicit_denial' })
  })

  it('always allows contract purposes, even when restricted', () => {
    expect(decide('essential.service', [], { restricted: true })).toMatchObject({
      allowed: true,
      reason: 'not_consent_based',
      basis: 'contract',
    })
  })

  it('denies everything else while restricted, even with consent', () => {
    expect(decide(RECS, [record(RECS, 'granted', 1)], { restricted: true })).toMatchObject({
      allowed: false,
      reason: 'restricted',
    })
  })

  it('denies an undeclared purpose', () => {
    expect(decide('personalize.mind_reading', [])).toMatchObject({
      allowed: false,
      reason: 'undeclared_purpose',
    })
  })

  describe('Global Privacy Control', () => {
    it('opts out of sale/sharing purposes only', () => {
      const records = [record(ADS, 'granted', 1), record(RECS, 'granted', 1)]
      expect(decide(ADS, records, { gpc: true })).toMatchObject({ allowed: false, reason: 'gpc' })
      expect(decide(RECS, records, { gpc: true })).toMatchObject({ allowed: true })
    })

    it('is recorded with method gpc, once', () => {
      const records = [record(ADS, 'granted', 1)]
      const written = gpcRecords({
        charter,
        jurisdiction: 'US-CA',
        records,
        gpc: true,
        now: at(10),
      })
      expect(written).toEqual([
        {
          purpose: ADS,
          decision: 'denied',
          method: 'gpc',
          noticeVersion: VERSION,
          jurisdiction: 'US-CA',
          recordedAt: at(10),
        },
      ])
      expect(
        gpcRecords({
          charter,
          jurisdiction: 'US-CA',
          records: [...records, ...written],
          now: at(11),
        }),
      ).toEqual([])
      // The opt-out stays after the signal stops.
      expect(decide(ADS, [...records, ...written], { gpc: false })).toMatchObject({
        allowed: false,
        reason: 'gpc',
      })
    })

    it('gives way to an explicit grant made after it', () => {
      const records = [record(ADS, 'denied', 1, 'gpc'), record(ADS, 'granted', 2, 'banner')]
      expect(decide(ADS, records, { gpc: true })).toMatchObject({
        allowed: true,
        reason: 'explicit_grant',
      })
      expect(gpcRecords({ charter, jurisdiction: 'US-CA', records, now: at(3) })).toEqual([])
    })

    it('leaves an explicit denial as it is', () => {
      const records = [record(ADS, 'denied', 1)]
      expect(decide(ADS, records, { gpc: true })).toMatchObject({
        allowed: false,
        reason: 'explicit_denial',
      })
      expect(gpcRecords({ charter, jurisdiction: 'UK', records, now: at(3) })).toEqual([])
    })
  })

  it('decideAll answers every purpose in charter order', () => {
    expect(
      decideAll({ charter, jurisdiction: 'UK', records: [], now: T0 }).map((d) => d.purpose),
    ).toEqual(PURPOSES)
  })
})

describe('decidePersonalizationLevel', () => {
  const ctx = { charter, jurisdiction: 'UK', now: at(1000) }

  it('answers personal without consent with a prompt, not an error', () => {
    const d = decidePersonalizationLevel({ ...ctx, records: [], requested: 'personal' })
    expect(d).toMatchObject({ requested: 'personal', effective: 'off', reason: 'consent_required' })
    expect(d.prompt).toEqual({
      purpose: RECS,
      title: charter.purposes[RECS]!.title,
      benefit: charter.purposes[RECS]!.benefit,
      noticeVersion: VERSION,
    })
  })

  it('falls back to session when that is allowed', () => {
    const records = [record('personalize.session', 'granted', 1)]
    expect(decidePersonalizationLevel({ ...ctx, records, requested: 'personal' })).toMatchObject({
      effective: 'session',
      reason: 'consent_required',
    })
    expect(
      decidePersonalizationLevel({
        ...ctx,
        jurisdiction: 'US-CA',
        records: [],
        requested: 'personal',
      }),
    ).toMatchObject({ effective: 'session' })
  })

  it('prompts even after a denial, because choosing the level is the shopper asking', () => {
    const d = decidePersonalizationLevel({
      ...ctx,
      records: [record(RECS, 'denied', 1)],
      requested: 'personal',
    })
    expect(d.prompt?.purpose).toBe(RECS)
  })

  it('gives personal with consent, off when asked, off without prompt when restricted', () => {
    const records = [record(RECS, 'granted', 1)]
    expect(decidePersonalizationLevel({ ...ctx, records, requested: 'personal' })).toEqual({
      requested: 'personal',
      effective: 'personal',
      reason: 'as_requested',
    })
    expect(decidePersonalizationLevel({ ...ctx, records, requested: 'off' })).toEqual({
      requested: 'off',
      effective: 'off',
      reason: 'as_requested',
    })
    expect(
      decidePersonalizationLevel({ ...ctx, records, restricted: true, requested: 'personal' }),
    ).toEqual({ requested: 'personal', effective: 'off', reason: 'restricted' })
  })
})

describe('progressivePrompt', () => {
  const base = {
    charter,
    purpose: RECS,
    jurisdiction: 'UK',
    records: [] as ConsentRecord[],
    now: at(0),
  }

  it('asks about an undecided purpose', () => {
    expect(progressivePrompt({ ...base, promptsShown: [] })).toMatchObject({
      reason: 'ask',
      prompt: { purpose: RECS, noticeVersion: VERSION },
    })
  })

  it('asks at most once per purpose per period', () => {
    const day = 24 * 60
    const shown = [{ purpose: RECS, shownAt: at(0) }]
    expect(progressivePrompt({ ...base, now: at(29 * day), promptsShown: shown })).toMatchObject({
      reason: 'recently_asked',
      prompt: undefined,
    })
    expect(progressivePrompt({ ...base, now: at(30 * day), promptsShown: shown }).reason).toBe(
      'ask',
    )
    expect(
      progressivePrompt({ ...base, now: at(2 * day), promptsShown: shown, repeatAfterDays: 1 })
        .reason,
    ).toBe('ask')
    // Another purpose's prompt does not count.
    expect(
      progressivePrompt({ ...base, purpose: ANALYTICS, now: at(day), promptsShown: shown }).reason,
    ).toBe('ask')
  })

  it('offers no more prompts, of any purpose, than the consent_prompt cap allows in its window', () => {
    const day = 24 * 60
    const shown = [{ purpose: RECS, shownAt: at(0) }]
    const cap = capWindow(charter, SERVED_TOUCHPOINTS.consentPrompt, at(60))!
    expect(cap.max).toBe(1)
    const asked = { ...base, purpose: ANALYTICS, promptsShown: shown }
    expect(progressivePrompt({ ...asked, now: at(60), cap })).toMatchObject({
      reason: 'capped',
      prompt: undefined,
    })
    // The next window, or a shopper who asks: a prompt again.
    const next = capWindow(charter, SERVED_TOUCHPOINTS.consentPrompt, at(day))!
    expect(progressivePrompt({ ...asked, now: at(day), cap: next }).reason).toBe('ask')
    expect(progressivePrompt({ ...asked, now: at(60), cap, shopperAsked: true }).reason).toBe(
      'shopper_asked',
    )
  })

  it('never asks after a denial until the shopper asks', () => {
    const records = [record(RECS, 'denied', -10)]
    expect(progressivePrompt({ ...base, records, promptsShown: [] })).toMatchObject({
      reason: 'denied',
      prompt: undefined,
    })
    expect(
      progressivePrompt({
        ...base,
        records,
        promptsShown: [{ purpose: RECS, shownAt: at(0) }],
        shopperAsked: true,
      }),
    ).toMatchObject({ reason: 'shopper_asked', prompt: { purpose: RECS } })
  })

  it('does not ask after GPC, when allowed, when restricted, or for contract purposes', () => {
    expect(progressivePrompt({ ...base, purpose: ADS, gpc: true, promptsShown: [] }).reason).toBe(
      'denied',
    )
    expect(
      progressivePrompt({ ...base, records: [record(RECS, 'granted', -1)], promptsShown: [] })
        .reason,
    ).toBe('already_decided')
    expect(progressivePrompt({ ...base, restricted: true, promptsShown: [] }).reason).toBe(
      'restricted',
    )
    expect(
      progressivePrompt({ ...base, purpose: 'essential.service', promptsShown: [] }).reason,
    ).toBe('not_askable')
  })
})

// ---------------------------------------------------------------------------------------------------------
// Properties. The oracle below is a state machine over the shopper's actions, written independently of
// decideConsent (which scans the ledger): if the two agree on every step of random histories, the ledger
// scan implements the rules.

type Command =
  | { kind: 'grant'; purpose: PurposeKey; method: ConsentMethod }
  | { kind: 'withdraw'; purpose: PurposeKey; method: ConsentMethod }
  | { kind: 'request'; gpc: boolean }
  | { kind: 'restrict'; on: boolean }
  | { kind: 'level'; level: PersonalizationLevel }
  | { kind: 'tick'; minutes: number }

const userMethod = fc.constantFrom<ConsentMethod>(
  'banner',
  'privacy_center',
  'api',
  'progressive_prompt',
  'import',
)
const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({
    kind: fc.constant('grant' as const),
    purpose: fc.constantFrom(...CHOOSABLE),
    method: userMethod,
  }),
  fc.record({
    kind: fc.constant('withdraw' as const),
    purpose: fc.constantFrom(...CHOOSABLE),
    method: userMethod,
  }),
  fc.record({ kind: fc.constant('request' as const), gpc: fc.boolean() }),
  fc.record({ kind: fc.constant('restrict' as const), on: fc.boolean() }),
  fc.record({
    kind: fc.constant('level' as const),
    level: fc.constantFrom<PersonalizationLevel>('off', 'session', 'personal'),
  }),
  fc.record({
    kind: fc.constant('tick' as const),
    minutes: fc.integer({ min: 0, max: 3 * 24 * 60 }),
  }),
)
const jurisdictionArb = fc.constantFrom('EU', 'UK', 'US-CA', 'FR', 'default')

interface OracleState {
  value: 'none' | 'granted' | 'denied' | 'gpc'
  gpcSeen: boolean
  grantAfterGpc: boolean
}

function expected(
  purpose: PurposeKey,
  s: OracleState,
  restricted: boolean,
  gpcNow: boolean,
  jurisdiction: string,
) {
  const p = charter.purposes[purpose]!
  if (p.legalBasis === 'contract') return { allowed: true, reason: 'not_consent_based' }
  if (restricted) return { allowed: false, reason: 'restricted' }
  if (p.saleOrSharing) {
    if (s.value === 'gpc') return { allowed: false, reason: 'gpc' }
    if (gpcNow && s.value === 'none') return { allowed: false, reason: 'gpc' }
    if (gpcNow && s.value === 'granted' && !s.grantAfterGpc)
      return { allowed: false, reason: 'gpc' }
  }
  if (s.value === 'granted') return { allowed: true, reason: 'explicit_grant' }
  if (s.value === 'denied') return { allowed: false, reason: 'explicit_denial' }
  if (p.legalBasis === 'consent') return { allowed: false, reason: 'no_record' }
  const j = Object.hasOwn(charter.jurisdictions, jurisdiction) ? jurisdiction : 'default'
  return { allowed: resolveDefault(p, j) === 'opt_out', reason: 'jurisdiction_default' }
}

describe('properties', () => {
  it('for any sequence of grants, withdrawals, GPC signals and setting changes, the decision follows the rules', () => {
    fc.assert(
      fc.property(
        jurisdictionArb,
        fc.array(command, { maxLength: 40 }),
        (jurisdiction, commands) => {
          const records: ConsentRecord[] = []
          const state = new Map<PurposeKey, OracleState>(
            PURPOSES.map((p) => [p, { value: 'none', gpcSeen: false, grantAfterGpc: false }]),
          )
          let now = T0
          let restricted = false
          let level: PersonalizationLevel = 'off'

          const check = (gpc: boolean) => {
            const decisions = decideAll({ charter, jurisdiction, records, restricted, gpc, now })
            for (const d of decisions) {
              expect({ allowed: d.allowed, reason: d.reason }, `${d.purpose} gpc=${gpc}`).toEqual(
                expected(d.purpose, state.get(d.purpose)!, restricted, gpc, jurisdiction),
              )
            }
            const allowed = (p: PurposeKey) => decisions.find((d) => d.purpose === p)!.allowed
            const levelDecision = decidePersonalizationLevel({
              charter,
              jurisdiction,
              records,
              restricted,
              gpc,
              now,
              requested: level,
            })
            const want: PersonalizationLevel =
              level === 'off' || restricted
                ? 'off'
                : level === 'personal' && allowed(RECS)
                  ? 'personal'
                  : allowed('personalize.session')
                    ? 'session'
                    : 'off'
            expect(levelDecision.effective).toBe(want)
            expect(levelDecision.prompt !== undefined).toBe(want !== level && !restricted)
          }

          for (const c of commands) {
            switch (c.kind) {
              case 'grant': {
                records.push({
                  purpose: c.purpose,
                  decision: 'granted',
                  method: c.method,
                  noticeVersion: VERSION,
                  jurisdiction,
                  recordedAt: now,
                })
                const s = state.get(c.purpose)!
                state.set(c.purpose, { ...s, value: 'granted', grantAfterGpc: s.gpcSeen })
                break
              }
              case 'withdraw': {
                records.push({
                  purpose: c.purpose,
                  decision: 'denied',
                  method: c.method,
                  noticeVersion: VERSION,
                  jurisdiction,
                  recordedAt: now,
                })
                state.set(c.purpose, { ...state.get(c.purpose)!, value: 'denied' })
                break
              }
              case 'request': {
                check(c.gpc) // before the GPC records are written
                if (c.gpc) {
                  const written = gpcRecords({
                    charter,
                    jurisdiction,
                    records,
                    restricted,
                    gpc: true,
                    now,
                  })
                  for (const r of written)
                    expect(ConsentRecordSchema.safeParse(r).success).toBe(true)
                  records.push(...written)
                  for (const [purpose, s] of state) {
                    if (!charter.purposes[purpose]!.saleOrSharing) continue
                    const stands =
                      (s.value === 'granted' && s.grantAfterGpc) ||
                      s.value === 'denied' ||
                      s.value === 'gpc'
                    expect(written.some((r) => r.purpose === purpose)).toBe(!stands)
                    if (!stands) state.set(purpose, { ...s, value: 'gpc', gpcSeen: true })
                  }
                }
                break
              }
              case 'restrict':
                restricted = c.on
                break
              case 'level':
                level = c.level
                break
              case 'tick':
                now = new Date(now.getTime() + c.minutes * 60_000)
                break
            }
            check(false)
            check(true)
          }
        },
      ),
      { numRuns: 300 },
    )
  })

  it('with no record, every consent-based purpose is denied, whatever the context', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...CONSENT_PURPOSES),
        fc.string(),
        fc.boolean(),
        fc.boolean(),
        fc.date({ noInvalidDate: true }),
        (purpose, jurisdiction, gpc, restricted, now) => {
          expect(
            decideConsent({ charter, purpose, jurisdiction, records: [], gpc, restricted, now })
              .allowed,
          ).toBe(false)
        },
      ),
    )
  })

  it('records for other purposes never decide this one', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...CONSENT_PURPOSES),
        fc.array(fc.tuple(fc.constantFrom(...CHOOSABLE), fc.boolean())),
        (purpose, others) => {
          const records = others
            .filter(([p]) => p !== purpose)
            .map(([p, g], i) => record(p, g ? 'granted' : 'denied', i))
          expect(decide(purpose, records).reason).toBe('no_record')
        },
      ),
    )
  })

  it('a withdrawal takes effect for the very next decision', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(fc.constantFrom(...CHOOSABLE), fc.boolean(), fc.integer({ min: 0, max: 500 })),
        ),
        fc.constantFrom(...CHOOSABLE),
        jurisdictionArb,
        (history, purpose, jurisdiction) => {
          const records = history.map(([p, g, m]) => record(p, g ? 'granted' : 'denied', m))
          const now = at(500)
          records.push({ ...record(purpose, 'denied', 500), jurisdiction })
          expect(decideConsent({ charter, purpose, jurisdiction, records, now }).allowed).toBe(
            false,
          )
        },
      ),
    )
  })

  it('depends on when records were made, not on the order they are stored in', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 10_000 }), { minLength: 1, maxLength: 15 }),
        fc.array(fc.tuple(fc.constantFrom(...CHOOSABLE), fc.boolean(), fc.boolean()), {
          minLength: 15,
          maxLength: 15,
        }),
        fc.boolean(),
        (times, specs, gpc) => {
          const records = times.map((m, i) => {
            const [p, granted, viaGpc] = specs[i]!
            return record(
              p,
              granted && !viaGpc ? 'granted' : 'denied',
              m,
              viaGpc ? 'gpc' : 'banner',
            )
          })
          const shuffled = [...records].reverse()
          const now = at(20_000)
          const a = decideAll({ charter, jurisdiction: 'UK', records, gpc, now })
          const b = decideAll({ charter, jurisdiction: 'UK', records: shuffled, gpc, now })
          const strip = (ds: ConsentDecision[]) =>
            ds.map(({ allowed, reason }) => ({ allowed, reason }))
          expect(strip(b)).toEqual(strip(a))
        },
      ),
    )
  })
})
