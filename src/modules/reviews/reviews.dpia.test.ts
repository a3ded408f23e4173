import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { noticeVersionOf, parseCharter, renderNoticeHtml, renderNotice } from '../charter/index.js'
import { compareReports } from './reports.compare.js'
import { buildDpia, riskLevel } from './reviews.dpia.js'
import { buildModelCard } from './reviews.model-card.js'
import type { AuditReport, Finding } from './reviews.js'

const EXAMPLE = readFileSync(
  fileURLToPath(new URL('../../../candor.charter.yaml', import.meta.url)),
  'utf8',
)
const charter = parseCharter(EXAMPLE)
const RANK = { low: 0, medium: 1, high: 2 }

describe('the impact assessment', () => {
  const dpia = buildDpia(charter)
  const purpose = (key: string) => dpia.purposes.find((p) => p.key === key)!

  it('covers every purpose of the charter, with its data, retention and the notice version', () => {
    expect(dpia.purposes.map((p) => p.key).sort()).toEqual(Object.keys(charter.purposes).sort())
    expect(dpia.noticeVersion).toBe(noticeVersionOf(charter))
    expect(purpose('personalize.recommendations').dataCategories.length).toBeGreaterThan(0)
    expect(purpose('personalize.recommendations').retention).toMatch(/year|days/)
  })

  it('names the risks each purpose carries, from its basis and flags', () => {
    const ids = (key: string) => purpose(key).risks.map((r) => r.id)
    expect(ids('personalize.recommendations')).toEqual(
      expect.arrayContaining(['breach', 'no_consent', 'profiling', 'bias']),
    )
    expect(ids('analytics.reporting')).toEqual(
      expect.arrayContaining(['objection', 'reidentification']),
    )
    expect(ids('analytics.clean_room')).toContain('matching')
    // Kept only for the visit: nothing stored to breach or keep too long.
    expect(ids('personalize.session')).not.toContain('retention')
    const sale = purpose('marketing.advertising.third_party').risks.find((r) => r.id === 'sharing')
    expect(sale?.severity).toBe(3)
    // The special-category purpose is more severe when consent fails.
    const special = purpose('personalize.special.health').risks.find((r) => r.id === 'no_consent')
    expect(special?.severity).toBe(3)
  })

  it('never rates a residual risk above its inherent one, and every risk has controls', () => {
    for (const p of dpia.purposes) {
      for (const r of p.risks) {
        expect(RANK[r.residual]).toBeLessThanOrEqual(RANK[r.inherent])
        expect(r.inherent).toBe(riskLevel(r.likelihood, r.severity))
        expect(r.controls.length).toBeGreaterThan(0)
      }
      expect(RANK[p.residual]).toBe(Math.max(0, ...p.risks.map((r) => RANK[r.residual])))
    }
    expect(dpia.summary.low + dpia.summary.medium + dpia.summary.high).toBe(dpia.purposes.length)
  })

  it('is deterministic, and a charter change gives another hash and notice version', () => {
    expect(buildDpia(parseCharter(EXAMPLE)).hash).toBe(dpia.hash)
    const changed = parseCharter(EXAMPLE.replace('retentionDays: 365', 'retentionDays: 400'))
    expect(buildDpia(changed).hash).not.toBe(dpia.hash)
    expect(buildDpia(changed).noticeVersion).not.toBe(dpia.noticeVersion)
  })
})

describe('the notice', () => {
  it('links to "How suggestions work"', () => {
    expect(renderNoticeHtml(renderNotice(charter))).toContain(
      '<a href="/privacy/suggestions">How suggestions work</a>',
    )
  })
})

const finding = (check: string, severity: Finding['severity'], figures = {}): Finding => ({
  area: 'privacy',
  check,
  severity,
  title: check,
  detail: '',
  figures,
})
const report = (id: string, findings: Finding[]) =>
  ({
    id,
    createdAt: `2026-03-0${id}T00:00:00Z`,
    noticeVersion: 'v',
    findings,
    charts: [],
  }) as unknown as AuditReport

describe('the change since the previous report', () => {
  it('says which checks got worse, better, appeared or went, with the figures that moved', () => {
    const before = report('1', [
      finding('privacy.retention', 'ok', { pastRetention: 0 }),
      finding('security.key_age', 'warning'),
      finding('privacy.requests', 'problem'),
    ])
    const after = report('2', [
      finding('privacy.retention', 'problem', { pastRetention: 3 }),
      finding('security.key_age', 'warning'),
      finding('privacy.plaintext', 'problem'),
    ])
    const changes = compareReports(after, before)
    const kind = (check: string) => changes.findings.find((f) => f.check === check)?.change
    expect(kind('privacy.retention')).toBe('worse')
    expect(kind('security.key_age')).toBe('same')
    expect(kind('privacy.plaintext')).toBe('new')
    expect(kind('privacy.requests')).toBe('resolved')
    expect(changes.findings[0]?.change).toBe('worse')
    expect(changes.findings.find((f) => f.check === 'privacy.retention')?.figures).toEqual([
      { name: 'pastRetention', before: 0, after: 3 },
    ])
    expect(changes.counts).toEqual({ worse: 1, new: 1, resolved: 1, better: 0, same: 1 })
  })
})

describe('the model card', () => {
  it('says what each level uses, and what it does not know yet', () => {
    const card = buildModelCard(charter, undefined, null)
    expect(card.levels.map((l) => l.level)).toEqual(['off', 'session', 'personal'])
    expect(card.levels[2]?.purpose).toBe('personalize.recommendations')
    expect(card.levels[2]?.uses.length).toBeGreaterThan(0)
    expect(card.training).toBeNull()
    expect(card.fairness).toBeNull()
    expect(card.turnOff.length).toBeGreaterThan(0)
  })

  it("shows the last training's held-out figures and the latest fairness findings", () => {
    const run = {
      trainedAt: '2026-03-01T00:00:00Z',
      subjects: 50,
      items: 40,
      events: 900,
      quality: {
        validation: { shoppers: 12 },
        figures: { personal: { recall20: 0.25, ndcg10: 0.12, newRecall20: 0.1 } },
      },
    }
    const latest = {
      ...report('2', [
        {
          ...finding('fairness.gini', 'warning'),
          area: 'fairness' as const,
          title: 'Exposure is unequal.',
        },
      ]),
      fairness: { served: { coverage: 0.4, gini: 0.7, calibrationKl: null } },
    } as unknown as AuditReport
    const card = buildModelCard(charter, run, latest)
    expect(card.training?.figures).toEqual([
      { level: 'Personal', recallAt20: 0.25, ndcgAt10: 0.12 },
    ])
    expect(card.training?.validationShoppers).toBe(12)
    expect(card.fairness?.findings).toEqual([
      { check: 'fairness.gini', severity: 'warning', title: 'Exposure is unequal.' },
    ])
    expect(card.fairness?.figures.map((f) => f.name)).toEqual(['coverage', 'gini'])
    expect(card.limits.at(-1)).toBe('Found by the latest audit: Exposure is unequal.')
  })
})
