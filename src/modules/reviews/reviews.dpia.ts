/**
 * The data protection impact assessment (GDPR Art. 35), generated from the charter: for each purpose,
 * why the processing is necessary, the data it uses, the risks to shoppers (likelihood x severity, each
 * on 1..3), the Candor controls that mitigate each and the residual risk after them. Pure: the same
 * charter always gives the same assessment, and its hash is what a privacy officer signs off
 * (`reviews.dpia.service.ts`). A new notice version (a charter change) makes that sign-off stale.
 *
 * The risks come from one catalogue (`RISKS`), each with the condition under which a purpose carries it
 * and how the charter raises its likelihood or severity; the controls named are the ones Candor runs
 * (and its tests check), never promises.
 */
import { canonicalJson, sha256Hex } from '../../lib/crypto.js'
import {
  type Charter,
  DATA_CATEGORIES,
  type DataCategory,
  type Purpose,
  noticeVersionOf,
  plainRetention,
} from '../charter/index.js'

export type RiskLevel = 'low' | 'medium' | 'high'
type Scale = 1 | 2 | 3

export interface DpiaRisk {
  /** A stable id: 'breach', 'retention', 'no_consent', 'objection', 'profiling', 'bias', 'sharing', 'reidentification', 'matching'. */
  id: string
  risk: string
  likelihood: Scale
  severity: Scale
  inherent: RiskLevel
  controls: string[]
  residualLikelihood: Scale
  residualSeverity: Scale
  residual: RiskLevel
}

export interface DpiaPurpose {
  key: string
  title: string
  legalBasis: string
  /** Why the processing is necessary and proportionate, from the charter's benefit and basis. */
  necessity: string
  dataCategories: { key: string; words: string }[]
  retention: string
  /** Vendors (by name) that receive data for it. */
  recipients: string[]
  risks: DpiaRisk[]
  /** The highest residual risk of its risks. */
  residual: RiskLevel
}

export interface Dpia {
  /** The notice version (charter hash) the assessment was generated from. */
  noticeVersion: string
  controller: string
  purposes: DpiaPurpose[]
  /** The highest residual risk over all purposes. */
  residual: RiskLevel
  /** Counts of purposes by residual risk. */
  summary: Record<RiskLevel, number>
  /** SHA-256 of the assessment's canonical JSON (without this field): what a sign-off names. */
  hash: string
}

const LEVEL_ORDER: readonly RiskLevel[] = ['low', 'medium', 'high']

/** Likelihood x severity on 1..3 each: 1-2 low, 3-4 medium, 6-9 high. */
export function riskLevel(likelihood: number, severity: number): RiskLevel {
  const score = likelihood * severity
  return score <= 2 ? 'low' : score <= 4 ? 'medium' : 'high'
}

const highest = (levels: readonly RiskLevel[]): RiskLevel =>
  LEVEL_ORDER[Math.max(0, ...levels.map((l) => LEVEL_ORDER.indexOf(l)))] ?? 'low'

const clamp = (n: number): Scale => (n <= 1 ? 1 : n >= 3 ? 3 : 2)

/** Categories whose loss would hurt a shopper most: contact, money, precise place, identity. */
const SENSITIVE_DATA: ReadonlySet<DataCategory> = new Set<DataCategory>([
  'user.contact.email',
  'user.contact.phone_number',
  'user.contact.address',
  'user.financial',
  'user.location.precise',
  'user.name',
])

interface RiskContext {
  key: string
  purpose: Purpose
  recipients: string[]
  sensitive: boolean
}

interface RiskTemplate {
  id: string
  risk: string
  applies(c: RiskContext): boolean
  likelihood(c: RiskContext): number
  severity(c: RiskContext): number
  controls: string[]
  /** How far the controls bring likelihood and severity down (never below 1). */
  reduces: { likelihood: number; severity: number }
}

const isPersonalization = (c: RiskContext) => c.key.startsWith('personalize.')

/** The catalogue of risks a purpose may carry; order is the order the assessment lists them. */
const RISKS: readonly RiskTemplate[] = [
  {
    id: 'breach',
    risk: 'Someone without a right to it reads or copies the stored data.',
    applies: (c) => c.purpose.retentionDays > 0,
    likelihood: () => 2,
    severity: (c) => (c.sensitive || c.purpose.specialCategory !== undefined ? 3 : 2),
    controls: [
      'Pseudonymous core: events are stored under a keyed hash of the customer reference.',
      'Identifying data only in the encrypted vault, one data key per shopper (destroyed on erasure).',
      'API keys with roles; every route names who may call it; failed authentications are rate limited.',
      'Hash-chained, signed audit log of every access; the security review verifies it and file modes.',
    ],
    reduces: { likelihood: 1, severity: 0 },
  },
  {
    id: 'retention',
    risk: 'Data is kept longer than the purpose needs.',
    applies: (c) => c.purpose.retentionDays > 0,
    likelihood: (c) => (c.purpose.retentionDays > 365 ? 3 : 2),
    severity: () => 2,
    controls: [
      "Every stored event carries its expiry from the charter's retention; the retention job deletes it.",
      'The privacy audit counts events kept past their retention.',
    ],
    reduces: { likelihood: 1, severity: 0 },
  },
  {
    id: 'no_consent',
    risk: 'Data is processed without a valid consent.',
    applies: (c) => c.purpose.legalBasis === 'consent',
    likelihood: () => 2,
    severity: (c) => (c.purpose.specialCategory !== undefined ? 3 : 2),
    controls: [
      'Default deny: without a grant on record, events for the purpose are refused with a reason.',
      'Consent ledger: every grant and withdrawal names the notice version it was given for.',
      'The privacy audit re-derives from the ledger that each stored event had a grant when stored.',
    ],
    reduces: { likelihood: 1, severity: 0 },
  },
  {
    id: 'objection',
    risk: 'A shopper cannot easily object to processing based on legitimate interest.',
    applies: (c) => c.purpose.legalBasis === 'legitimate_interest',
    likelihood: () => 2,
    severity: () => 2,
    controls: [
      'The privacy center lets the shopper turn the purpose off at any time.',
      'Global Privacy Control is honoured for sale, sharing and cross-context advertising.',
    ],
    reduces: { likelihood: 1, severity: 0 },
  },
  {
    id: 'profiling',
    risk: 'Recommendations reveal or infer something the shopper did not expect (a sensitive trait).',
    applies: isPersonalization,
    likelihood: () => 2,
    severity: (c) => (c.purpose.specialCategory !== undefined ? 3 : 2),
    controls: [
      'Special-category items never feed personal recommendations without a grant for exactly that.',
      'Every recommendation says why it is shown, with "not this" and "stop personalizing".',
      'The shopper picks the level: off, this visit only, or personal.',
    ],
    reduces: { likelihood: 1, severity: 0 },
  },
  {
    id: 'bias',
    risk: 'Recommendations treat groups of shoppers or items unfairly (popularity bias, poor quality for some).',
    applies: (c) => c.key === 'personalize.recommendations' || c.key === 'personalize.session',
    likelihood: () => 2,
    severity: () => 2,
    controls: [
      'The fairness audit measures coverage, Gini of exposure, popularity bias, calibration and quality per group.',
      'The model card tells shoppers how suggestions work and where they may be biased.',
    ],
    reduces: { likelihood: 1, severity: 0 },
  },
  {
    id: 'sharing',
    risk: 'Data reaches other companies beyond what the notice declares.',
    applies: (c) => c.recipients.length > 0 || c.purpose.saleOrSharing,
    likelihood: () => 2,
    severity: (c) => (c.purpose.saleOrSharing ? 3 : 2),
    controls: [
      'Only vendors declared in the charter for the purpose may receive its data; the notice names them.',
      'The privacy audit compares vendors declared with vendors receiving data.',
      'Global Privacy Control opts the shopper out of sale and sharing.',
    ],
    reduces: { likelihood: 1, severity: 0 },
  },
  {
    id: 'reidentification',
    risk: 'A statistic shows whether one shopper is in the data.',
    applies: (c) => c.purpose.aggregateAnalytics === true,
    likelihood: () => 2,
    severity: () => 2,
    controls: [
      'Differential privacy with discrete noise on every figure, and a privacy budget per analyst key.',
      "Contribution bounds cap how much one shopper's rows move any figure.",
    ],
    reduces: { likelihood: 1, severity: 0 },
  },
  {
    id: 'matching',
    risk: 'A partner learns which of its customers shop here.',
    applies: (c) => c.purpose.cleanRoom === true,
    likelihood: () => 2,
    severity: () => 3,
    controls: [
      'Private set intersection: addresses are matched doubly blinded, never exchanged in the clear.',
      'Only noisy statistics over the overlap, suppressed under a minimum group size; uploads expire.',
    ],
    reduces: { likelihood: 1, severity: 1 },
  },
]

function necessityOf(p: Purpose): string {
  const basis =
    p.legalBasis === 'contract'
      ? 'Needed to run the shop the shopper uses (contract).'
      : p.legalBasis === 'consent'
        ? 'Only with the shopper’s consent, which they may withdraw at any time.'
        : 'On the shop’s legitimate interest, balanced by the shopper’s right to object.'
  return `${p.benefit} ${basis}`
}

function assessRisk(t: RiskTemplate, c: RiskContext): DpiaRisk {
  const likelihood = clamp(t.likelihood(c))
  const severity = clamp(t.severity(c))
  const residualLikelihood = clamp(likelihood - t.reduces.likelihood)
  const residualSeverity = clamp(severity - t.reduces.severity)
  return {
    id: t.id,
    risk: t.risk,
    likelihood,
    severity,
    inherent: riskLevel(likelihood, severity),
    controls: t.controls,
    residualLikelihood,
    residualSeverity,
    residual: riskLevel(residualLikelihood, residualSeverity),
  }
}

/**
 * The impact assessment of a charter. Pure and deterministic.
 *
 * @example buildDpia(charter).purposes.find((p) => p.key === 'personalize.recommendations')?.risks
 */
export function buildDpia(charter: Charter): Dpia {
  const purposes = Object.entries(charter.purposes).map(([key, purpose]): DpiaPurpose => {
    const recipients = Object.values(charter.vendors)
      .filter((v) => v.purposes.includes(key))
      .map((v) => v.name)
    const context: RiskContext = {
      key,
      purpose,
      recipients,
      sensitive: purpose.dataCategories.some((d) => SENSITIVE_DATA.has(d)),
    }
    const risks = RISKS.filter((t) => t.applies(context)).map((t) => assessRisk(t, context))
    return {
      key,
      title: purpose.title,
      legalBasis: purpose.legalBasis,
      necessity: necessityOf(purpose),
      dataCategories: purpose.dataCategories.map((d) => ({ key: d, words: DATA_CATEGORIES[d] })),
      retention: plainRetention(purpose.retentionDays),
      recipients,
      risks,
      residual: highest(risks.map((r) => r.residual)),
    }
  })
  const summary: Record<RiskLevel, number> = { low: 0, medium: 0, high: 0 }
  for (const p of purposes) summary[p.residual] += 1
  const body = {
    noticeVersion: noticeVersionOf(charter),
    controller: charter.controller.name,
    purposes,
    residual: highest(purposes.map((p) => p.residual)),
    summary,
  }
  return { ...body, hash: sha256Hex(canonicalJson(body)) }
}
