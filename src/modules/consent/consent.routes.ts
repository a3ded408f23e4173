import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { type AuditLog, actorOf } from '../audit/index.js'
import { PurposeKeySchema } from '../charter/index.js'
import { CustomerRefSchema, type IdentityService } from '../identity/index.js'
import {
  ConsentChangeSchema,
  ConsentDecisionOutSchema as DecisionOut,
  JurisdictionCodeSchema as Jurisdiction,
  PersonalizationLevelSchema,
  decisionOut,
} from './consent.js'
import { withExample } from '../../http/openapi.js'
import type { RoutesApp } from '../../http/routes.js'
import {
  CONSENT_CHANGED_EXAMPLE,
  CONSENT_CHANGE_EXAMPLE,
  CONSENT_RATES_EXAMPLE,
  CONSENT_STATE_EXAMPLE,
  SETTINGS_CHANGE_EXAMPLE,
  SETTINGS_EXAMPLE,
  SETTINGS_PROMPT_EXAMPLE,
  TCF_EXAMPLE,
  TCF_IMPORTED_EXAMPLE,
  TCF_IMPORT_EXAMPLE,
} from './consent.examples.js'
import { ConsentRatesSchema, DaySchema } from './consent.rates.js'
import type { StoredConsentRecord } from './consent.repository.js'
import type { ConsentService, SubjectOf } from './consent.service.js'
import { signalsOf } from './consent.signals.js'

const Ref = CustomerRefSchema
const SUBJECT_ACCESS = { roles: ['storefront', 'privacy_officer', 'admin'] as const, shopper: true }

const RecordOut = z.object({
  id: z.string(),
  purpose: z.string(),
  decision: z.enum(['granted', 'denied']),
  method: z.string(),
  noticeVersion: z.string(),
  jurisdiction: z.string(),
  recordedAt: z.string(),
})
const PromptOut = z.object({
  purpose: z.string(),
  title: z.string(),
  benefit: z.string(),
  noticeVersion: z.string(),
})
const SettingsOut = z.object({
  level: PersonalizationLevelSchema,
  effectiveLevel: PersonalizationLevelSchema,
  reason: z.string(),
  jurisdiction: z.string(),
  prompt: PromptOut.optional(),
})

function recordOut(record: StoredConsentRecord): z.infer<typeof RecordOut> {
  return { ...record, recordedAt: record.recordedAt.toISOString() }
}

/** What the consent routes use. */
export interface ConsentRoutesDeps {
  consent: ConsentService
  identity: Pick<IdentityService, 'findSubjectId' | 'ensureSubjectId'>
  audit: Pick<AuditLog, 'recordNow'>
}

export const consentRoutes: FastifyPluginAsyncZod<{ services: ConsentRoutesDeps }> = async (
  app,
  { services },
) => {
  ledgerRoutes(app, services)
  settingsRoutes(app, services)
  tcfRoutes(app, services)
  ratesRoute(app, services)
}

/** A reference seen for the first time becomes a subject only with an accepted write (see `SubjectOf`). */
function subjectOf(identity: ConsentRoutesDeps['identity'], ref: string): SubjectOf {
  return (executor) => identity.ensureSubjectId(ref, executor)
}

/** The consent ledger, per subject: the decisions with their history, and recording a change. */
function ledgerRoutes(app: RoutesApp, { consent, identity, audit }: ConsentRoutesDeps) {
  app.get(
    '/v1/subjects/:ref/consents',
    {
      config: { access: SUBJECT_ACCESS },
      schema: {
        tags: ['consent'],
        summary: 'Current decision per purpose, and the full history of consent records',
        params: z.object({ ref: Ref }),
        querystring: z.object({ jurisdiction: Jurisdiction.optional() }),
        response: {
          200: withExample(
            z.object({
              noticeVersion: z.string(),
              jurisdiction: z.string(),
              restricted: z.boolean(),
              decisions: z.array(DecisionOut),
              history: z.array(RecordOut),
            }),
            CONSENT_STATE_EXAMPLE,
          ),
        },
      },
    },
    async (request) => {
      const signals = signalsOf(request)
      const actor = actorOf(request)
      const subjectId = await identity.findSubjectId(request.params.ref)
      if (subjectId !== undefined) await consent.observeSignals(subjectId, signals, actor)
      const state = await consent.state(subjectId, signals)
      if (subjectId !== undefined) {
        await audit.recordNow({ actor, action: 'consent.read', subjectId })
      }
      return {
        ...state,
        decisions: state.decisions.map(decisionOut),
        history: state.history.map(recordOut),
      }
    },
  )

  app.put(
    '/v1/subjects/:ref/consents/:purpose',
    {
      config: { access: SUBJECT_ACCESS, problems: ['notice_outdated'] },
      schema: {
        tags: ['consent'],
        summary: 'Grant or withdraw consent for one purpose (appends a record)',
        params: z.object({ ref: Ref, purpose: PurposeKeySchema }),
        body: withExample(
          ConsentChangeSchema.extend({ jurisdiction: Jurisdiction.optional() }),
          CONSENT_CHANGE_EXAMPLE,
        ),
        response: {
          200: withExample(
            z.object({ record: RecordOut, decision: DecisionOut }),
            CONSENT_CHANGED_EXAMPLE,
          ),
        },
      },
    },
    async (request) => {
      const signals = signalsOf(request)
      const actor = actorOf(request)
      const { decision, method, noticeVersion } = request.body
      const result = await consent.recordChange(
        subjectOf(identity, request.params.ref),
        request.params.purpose,
        { decision, method, noticeVersion },
        signals,
        actor,
      )
      return { record: recordOut(result.record), decision: decisionOut(result.decision) }
    },
  )
}

/** Personalization settings, per subject. */
function settingsRoutes(app: RoutesApp, { consent, identity }: ConsentRoutesDeps) {
  app.get(
    '/v1/subjects/:ref/settings',
    {
      config: { access: SUBJECT_ACCESS },
      schema: {
        tags: ['consent'],
        summary: 'The personalization level chosen and the level actually in effect',
        params: z.object({ ref: Ref }),
        querystring: z.object({ jurisdiction: Jurisdiction.optional() }),
        response: { 200: withExample(SettingsOut, SETTINGS_EXAMPLE) },
      },
    },
    async (request) => {
      const signals = signalsOf(request)
      const subjectId = await identity.findSubjectId(request.params.ref)
      if (subjectId !== undefined)
        await consent.observeSignals(subjectId, signals, actorOf(request))
      return consent.getSettings(subjectId, signals)
    },
  )

  app.put(
    '/v1/subjects/:ref/settings',
    {
      config: { access: SUBJECT_ACCESS },
      schema: {
        tags: ['consent'],
        summary:
          'Choose the personalization level (off, session, personal, on_device); personal or on_device without consent answers with a consent prompt. With on_device no event of the shopper is stored: the SDK keeps their history in the browser and ranks there',
        params: z.object({ ref: Ref }),
        body: withExample(
          z.strictObject({
            level: PersonalizationLevelSchema,
            jurisdiction: Jurisdiction.optional(),
          }),
          SETTINGS_CHANGE_EXAMPLE,
        ),
        response: { 200: withExample(SettingsOut, SETTINGS_PROMPT_EXAMPLE) },
      },
    },
    async (request) => {
      const signals = signalsOf(request)
      const actor = actorOf(request)
      return consent.putSettings(
        subjectOf(identity, request.params.ref),
        request.body,
        signals,
        actor,
      )
    },
  )
}

/** IAB TCF consent strings, per subject. */
function tcfRoutes(app: RoutesApp, { consent, identity }: ConsentRoutesDeps) {
  app.get(
    '/v1/subjects/:ref/consents/tcf',
    {
      config: { access: SUBJECT_ACCESS },
      schema: {
        tags: ['consent'],
        summary: "The subject's decisions as an IAB TCF v2.2 consent string",
        params: z.object({ ref: Ref }),
        querystring: z.object({ jurisdiction: Jurisdiction.optional() }),
        response: { 200: withExample(z.object({ tcString: z.string() }), TCF_EXAMPLE) },
      },
    },
    async (request) => {
      const subjectId = await identity.findSubjectId(request.params.ref)
      return { tcString: await consent.tcfString(subjectId, signalsOf(request)) }
    },
  )

  app.put(
    '/v1/subjects/:ref/consents/tcf',
    {
      config: { access: SUBJECT_ACCESS, problems: ['tcf_string_invalid'] },
      schema: {
        tags: ['consent'],
        summary: 'Record the decisions of an IAB TCF v2 consent string (method import)',
        params: z.object({ ref: Ref }),
        body: withExample(
          z.strictObject({
            tcString: z.string().min(10).max(10_000),
            jurisdiction: Jurisdiction.optional(),
          }),
          TCF_IMPORT_EXAMPLE,
        ),
        response: {
          200: withExample(z.object({ records: z.array(RecordOut) }), TCF_IMPORTED_EXAMPLE),
        },
      },
    },
    async (request) => {
      const signals = signalsOf(request)
      const records = await consent.importTcf(
        subjectOf(identity, request.params.ref),
        request.body.tcString,
        signals,
        actorOf(request),
      )
      return { records: records.map(recordOut) }
    },
  )
}

/** Consent rates by purpose and day, from the ledger. */
function ratesRoute(app: RoutesApp, { consent }: ConsentRoutesDeps) {
  app.get(
    '/v1/consent-rates',
    {
      config: { access: { roles: ['privacy_officer', 'admin'] } },
      schema: {
        tags: ['consent'],
        summary:
          'Grants, withdrawals and refusals per purpose and UTC day, from the consent ledger (by default the last 30 days; at most 366)',
        querystring: z.object({
          from: DaySchema.optional().describe('First day, YYYY-MM-DD (included)'),
          to: DaySchema.optional().describe('Last day, YYYY-MM-DD (included; by default today)'),
        }),
        response: { 200: withExample(ConsentRatesSchema, CONSENT_RATES_EXAMPLE) },
      },
    },
    async (request) => consent.ratesByDay(request.query),
  )
}
