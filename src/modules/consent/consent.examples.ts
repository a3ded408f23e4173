/**
 * The examples `/docs` shows for the consent routes: a shopper (`cust-1042`, the shop's own pseudonymous
 * reference) who said yes to suggestions from their history on the banner, in the UK, under the demo
 * shop's notice.
 */

export const NOTICE_VERSION = 'dc2a8812386172cc13f1532fc884fe346f21ecb333738e967ef49ed710392c8d'
const RECORDED_AT = '2026-03-01T10:14:52.318Z'

const RECORD = {
  id: 'cr_0mxcqqa8e0000i9l14p72',
  purpose: 'personalize.recommendations',
  decision: 'granted',
  method: 'banner',
  noticeVersion: NOTICE_VERSION,
  jurisdiction: 'UK',
  recordedAt: RECORDED_AT,
} as const

const GRANTED = {
  purpose: 'personalize.recommendations',
  allowed: true,
  reason: 'explicit_grant',
  basis: 'consent',
  jurisdiction: 'UK',
} as const

/** `GET /v1/subjects/{ref}/consents` */
export const CONSENT_STATE_EXAMPLE = {
  noticeVersion: NOTICE_VERSION,
  jurisdiction: 'UK',
  restricted: false,
  decisions: [
    {
      purpose: 'essential.service',
      allowed: true,
      reason: 'not_consent_based',
      basis: 'contract',
      jurisdiction: 'UK',
    },
    {
      purpose: 'personalize.session',
      allowed: false,
      reason: 'jurisdiction_default',
      basis: 'legitimate_interest',
      jurisdiction: 'UK',
    },
    GRANTED,
    {
      purpose: 'analytics.reporting',
      allowed: false,
      reason: 'explicit_denial',
      basis: 'consent',
      jurisdiction: 'UK',
    },
  ],
  history: [
    RECORD,
    {
      ...RECORD,
      id: 'cr_0mxcqqa8e0001b2k7z9dq',
      purpose: 'analytics.reporting',
      decision: 'denied',
    },
  ],
} as const

/** The body of `PUT /v1/subjects/{ref}/consents/{purpose}` */
export const CONSENT_CHANGE_EXAMPLE = {
  decision: 'granted',
  method: 'banner',
  noticeVersion: NOTICE_VERSION,
  jurisdiction: 'UK',
} as const

/** Its answer. */
export const CONSENT_CHANGED_EXAMPLE = { record: RECORD, decision: GRANTED }

/** `GET /v1/subjects/{ref}/settings` */
export const SETTINGS_EXAMPLE = {
  level: 'personal',
  effectiveLevel: 'personal',
  reason: 'as_requested',
  jurisdiction: 'UK',
} as const

/** The body of `PUT /v1/subjects/{ref}/settings` */
export const SETTINGS_CHANGE_EXAMPLE = { level: 'personal', jurisdiction: 'UK' } as const

/** Its answer for a shopper who has not said yes yet: the level waits, with the question to ask. */
export const SETTINGS_PROMPT_EXAMPLE = {
  level: 'personal',
  effectiveLevel: 'off',
  reason: 'consent_required',
  jurisdiction: 'UK',
  prompt: {
    purpose: 'personalize.recommendations',
    title: 'Suggestions based on your history',
    benefit:
      'We suggest gifts that fit what you looked at and bought before, on every visit. Your history also helps our suggestion system learn what goes well together.',
    noticeVersion: NOTICE_VERSION,
  },
} as const

const TC_STRING = 'CQu26YAQu26YAACABBENABFgAAwAAAAAAAwIAAAAAAAA.IAAA.YYAAAAAAAAAA'

/** `GET /v1/subjects/{ref}/consents/tcf` */
export const TCF_EXAMPLE = { tcString: TC_STRING }

/** The body of `PUT /v1/subjects/{ref}/consents/tcf` */
export const TCF_IMPORT_EXAMPLE = { tcString: TC_STRING, jurisdiction: 'UK' }

/** Its answer: one record per purpose the string decides, method `import`. */
export const TCF_IMPORTED_EXAMPLE = {
  records: [
    { ...RECORD, id: 'cr_0mxcr649n00008pegijvr', method: 'import' },
    {
      ...RECORD,
      id: 'cr_0mxcr649n00012d9b5wbu',
      purpose: 'analytics.reporting',
      decision: 'denied',
      method: 'import',
    },
  ],
} as const

/** `GET /v1/consent-rates?from=2026-02-28&to=2026-03-01` */
export const CONSENT_RATES_EXAMPLE = {
  from: '2026-02-28',
  to: '2026-03-01',
  days: [
    {
      day: '2026-02-28',
      purpose: 'personalize.recommendations',
      granted: 118,
      withdrawn: 3,
      refused: 41,
    },
    { day: '2026-02-28', purpose: 'analytics.reporting', granted: 82, withdrawn: 0, refused: 77 },
    {
      day: '2026-03-01',
      purpose: 'personalize.recommendations',
      granted: 124,
      withdrawn: 2,
      refused: 38,
    },
    { day: '2026-03-01', purpose: 'analytics.reporting', granted: 90, withdrawn: 1, refused: 71 },
  ],
}

/** `GET /v1/sessions/{session}/consents`: an anonymous visit that has not chosen yet. */
export const SESSION_CONSENT_STATE_EXAMPLE = {
  noticeVersion: NOTICE_VERSION,
  jurisdiction: 'UK',
  decisions: [
    {
      purpose: 'essential.service',
      allowed: true,
      reason: 'not_consent_based',
      basis: 'contract',
      jurisdiction: 'UK',
    },
    {
      purpose: 'personalize.session',
      allowed: false,
      reason: 'jurisdiction_default',
      basis: 'legitimate_interest',
      jurisdiction: 'UK',
    },
  ],
}

/** The body of `PUT /v1/sessions/{session}/consents/{purpose}` */
export const SESSION_CONSENT_CHANGE_EXAMPLE = {
  decision: 'granted',
  method: 'banner',
  noticeVersion: NOTICE_VERSION,
  jurisdiction: 'UK',
} as const

/** Its answer: the choice holds until the visit ends. */
export const SESSION_CONSENT_CHANGED_EXAMPLE = {
  decision: {
    purpose: 'personalize.session',
    allowed: true,
    reason: 'explicit_grant',
    basis: 'legitimate_interest',
    jurisdiction: 'UK',
  },
  expiresAt: '2026-03-02T10:14:52.318Z',
}
