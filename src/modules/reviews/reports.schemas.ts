/**
 * The HTTP shapes of the reviews routes (the impact assessment, its sign-off, the stored reports and
 * the model card), with the examples `/docs` shows. An audit report's three parts are documented by
 * their fields in the README; here they are open objects, so that a new figure does not break a client.
 */
import { z } from 'zod'
import { withExample } from '../../http/openapi.js'

const Level = z.enum(['low', 'medium', 'high'])
const Scale = z.union([z.literal(1), z.literal(2), z.literal(3)])
const SeveritySchema = z.enum(['ok', 'info', 'warning', 'problem'])

const RiskSchema = z.object({
  id: z.string().describe('breach, retention, no_consent, objection, profiling, bias, sharing ...'),
  risk: z.string(),
  likelihood: Scale,
  severity: Scale,
  inherent: Level.describe('likelihood x severity: 1-2 low, 3-4 medium, 6-9 high'),
  controls: z.array(z.string()).describe('The Candor controls that mitigate it'),
  residualLikelihood: Scale,
  residualSeverity: Scale,
  residual: Level,
})

export const SignOffSchema = z.object({
  id: z.string(),
  signedAt: z.string(),
  signedBy: z.string().describe("The privacy officer's key id"),
  noticeVersion: z.string(),
  dpiaHash: z.string(),
  note: z.string().nullable(),
  stale: z.boolean().describe('The charter or the assessment changed since'),
  staleReason: z.string().nullable(),
})

const SIGN_OFF_EXAMPLE = {
  id: 'dpia_0mi3k2x8a0000abcdefgh',
  signedAt: '2026-03-02T09:00:00.000Z',
  signedBy: 'key_8f2k1m0q',
  noticeVersion: '3f1c0e9a5b7d2c4e',
  dpiaHash: '9a0b1c2d3e4f5a6b',
  note: 'Reviewed with the DPO board',
  stale: false,
  staleReason: null,
}

export const DpiaSchema = withExample(
  z.object({
    noticeVersion: z.string().describe('The notice version (charter hash) it was generated from'),
    controller: z.string(),
    purposes: z.array(
      z.object({
        key: z.string(),
        title: z.string(),
        legalBasis: z.string(),
        necessity: z.string(),
        dataCategories: z.array(z.object({ key: z.string(), words: z.string() })),
        retention: z.string(),
        recipients: z.array(z.string()),
        risks: z.array(RiskSchema),
        residual: Level,
      }),
    ),
    residual: Level.describe('The highest residual risk over all purposes'),
    summary: z.object({ low: z.int(), medium: z.int(), high: z.int() }),
    hash: z.string().describe('What a sign-off names'),
    signOff: SignOffSchema.nullable().describe('The latest sign-off, null before the first'),
  }),
  {
    noticeVersion: '3f1c0e9a5b7d2c4e',
    controller: 'Demo Giftware Ltd',
    purposes: [
      {
        key: 'personalize.recommendations',
        title: 'Personal suggestions',
        legalBasis: 'consent',
        necessity:
          'Suggestions that fit what you like. Only with the shopper’s consent, which they may withdraw at any time.',
        dataCategories: [{ key: 'user.behavior.purchase_history', words: 'what you buy' }],
        retention: 'Kept for 1 year.',
        recipients: [],
        risks: [
          {
            id: 'no_consent',
            risk: 'Data is processed without a valid consent.',
            likelihood: 2,
            severity: 2,
            inherent: 'medium',
            controls: [
              'Default deny: without a grant on record, events for the purpose are refused with a reason.',
            ],
            residualLikelihood: 1,
            residualSeverity: 2,
            residual: 'low',
          },
        ],
        residual: 'low',
      },
    ],
    residual: 'low',
    summary: { low: 1, medium: 0, high: 0 },
    hash: '9a0b1c2d3e4f5a6b',
    signOff: SIGN_OFF_EXAMPLE,
  },
)

export const SignOffBodySchema = withExample(
  z.strictObject({
    noticeVersion: z
      .string()
      .min(1)
      .max(64)
      .describe('The notice version of the assessment you read (its `noticeVersion`)'),
    note: z.string().trim().min(1).max(1000).optional(),
  }),
  { noticeVersion: '3f1c0e9a5b7d2c4e', note: 'Reviewed with the DPO board' },
)

export const SignOffAnswerSchema = withExample(SignOffSchema, SIGN_OFF_EXAMPLE)

const FindingSchema = z.object({
  area: z.enum(['fairness', 'privacy', 'security']),
  check: z.string(),
  severity: SeveritySchema,
  title: z.string(),
  detail: z.string(),
  figures: z.record(z.string(), z.number()).optional(),
})

const ChartSchema = z.object({
  name: z.string(),
  title: z.string(),
  spec: z.record(z.string(), z.unknown()).describe('A Vega-Lite spec with its data inline'),
})

export const ReportSchema = z.object({
  id: z.string(),
  createdAt: z.string(),
  noticeVersion: z.string(),
  fairness: z.record(z.string(), z.unknown()),
  privacy: z.record(z.string(), z.unknown()),
  security: z.record(z.string(), z.unknown()),
  findings: z.array(FindingSchema),
  charts: z.array(ChartSchema),
})

const Change = z.enum(['new', 'resolved', 'worse', 'better', 'same'])

const REPORT_EXAMPLE = {
  id: 'rpt_0mi3k2x8a0000abcdefgh',
  createdAt: '2026-03-02T03:00:00.000Z',
  noticeVersion: '3f1c0e9a5b7d2c4e',
  fairness: { windowDays: 30, specialCategoryViolations: 0 },
  privacy: { eventsChecked: 41210, pastRetention: 0, withoutGrant: 0 },
  security: { failedAuthentications: { windowHours: 24, count: 3 } },
  findings: [
    {
      area: 'security' as const,
      check: 'security.key_age',
      severity: 'warning' as const,
      title: 'One API key has not been used for 90 days.',
      detail: 'Revoke keys nobody uses: candor keys revoke <id>.',
      figures: { unused: 1 },
    },
  ],
  charts: [
    {
      name: 'exposure',
      title: 'Share of impressions by item popularity',
      spec: { mark: 'bar', data: { values: [{ decile: 1, share: 0.31 }] } },
    },
  ],
}

export const LatestReportsSchema = withExample(
  z.object({
    latest: ReportSchema.nullable().describe('The newest stored report; null before the first run'),
    changes: z
      .object({
        previousId: z.string(),
        previousAt: z.string(),
        findings: z.array(
          z.object({
            check: z.string(),
            area: z.enum(['fairness', 'privacy', 'security']),
            title: z.string(),
            before: SeveritySchema.nullable(),
            after: SeveritySchema.nullable(),
            change: Change,
            figures: z.array(
              z.object({
                name: z.string(),
                before: z.number().nullable(),
                after: z.number().nullable(),
              }),
            ),
          }),
        ),
        counts: z.object({
          new: z.int(),
          resolved: z.int(),
          worse: z.int(),
          better: z.int(),
          same: z.int(),
        }),
      })
      .nullable()
      .describe('What changed since the report before it; null when there is none'),
  }),
  {
    latest: REPORT_EXAMPLE,
    changes: {
      previousId: 'rpt_0mi1a2b3c0000abcdefgh',
      previousAt: '2026-03-01T03:00:00.000Z',
      findings: [
        {
          check: 'security.key_age',
          area: 'security',
          title: 'One API key has not been used for 90 days.',
          before: 'ok',
          after: 'warning',
          change: 'worse',
          figures: [{ name: 'unused', before: 0, after: 1 }],
        },
      ],
      counts: { new: 0, resolved: 0, worse: 1, better: 0, same: 0 },
    },
  },
)

export const ReportAnswerSchema = withExample(ReportSchema, REPORT_EXAMPLE)

export const ModelCardSchema = withExample(
  z.object({
    noticeVersion: z.string(),
    title: z.string(),
    levels: z.array(
      z.object({
        level: z.enum(['off', 'session', 'personal']),
        title: z.string(),
        uses: z.array(z.string()),
        kept: z.string(),
        purpose: z.string().nullable(),
      }),
    ),
    algorithm: z.array(z.string()),
    training: z
      .object({
        trainedAt: z.string(),
        shoppers: z.int(),
        items: z.int(),
        events: z.int(),
        validationShoppers: z.int().nullable(),
        figures: z.array(
          z.object({ level: z.string(), recallAt20: z.number(), ndcgAt10: z.number() }),
        ),
        explained: z.string(),
      })
      .nullable()
      .describe('The last training and its figures on a held-out period; null before the first'),
    fairness: z
      .object({
        reportId: z.string(),
        reportedAt: z.string(),
        findings: z.array(
          z.object({ check: z.string(), severity: SeveritySchema, title: z.string() }),
        ),
        figures: z.array(z.object({ name: z.string(), label: z.string(), value: z.number() })),
      })
      .nullable()
      .describe('The latest fairness audit; null before the first report'),
    limits: z.array(z.string()),
    turnOff: z.array(z.string()),
  }),
  {
    noticeVersion: '3f1c0e9a5b7d2c4e',
    title: 'How suggestions work',
    levels: [
      {
        level: 'off',
        title: 'Off',
        uses: ['nothing about you: what is popular, trending and new in the shop'],
        kept: 'Nothing is kept.',
        purpose: null,
      },
    ],
    algorithm: [
      'Suggestions are ranked by a model of which products are bought and looked at together.',
    ],
    training: {
      trainedAt: '2026-03-02T02:00:00.000Z',
      shoppers: 4339,
      items: 3665,
      events: 392692,
      validationShoppers: 812,
      figures: [{ level: 'Personal', recallAt20: 0.21, ndcgAt10: 0.14 }],
      explained: 'Measured on the last weeks of shopping, held back from training.',
    },
    fairness: {
      reportId: 'rpt_0mi3k2x8a0000abcdefgh',
      reportedAt: '2026-03-02T03:00:00.000Z',
      findings: [
        {
          check: 'fairness.coverage',
          severity: 'ok',
          title: 'Suggestions cover 64% of the catalog.',
        },
      ],
      figures: [{ name: 'coverage', label: 'Share of the catalog suggested', value: 0.64 }],
    },
    limits: ['Popular products are suggested more than their share of the catalog.'],
    turnOff: ['In your privacy center, choose “Off” under how much we personalize.'],
  },
)
