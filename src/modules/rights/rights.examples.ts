/**
 * The examples `/docs` shows for the rights routes: an erasure the shopper (`cust-1042`, the shop's
 * pseudonymous reference) filed themself in the UK, waiting for its one-time code, then done; an access
 * request filed by staff; the export it makes (subjects are pseudonyms).
 */

const WAITING = {
  id: 'rr_0mxcqqqbx0000fz2e60is',
  type: 'erasure',
  status: 'received',
  regime: 'gdpr',
  jurisdiction: 'UK',
  channel: 'self_service',
  receivedAt: '2026-03-01T10:30:12.509Z',
  dueAt: '2026-04-01T10:30:12.509Z',
  overdue: false,
  extensionReason: null,
  verifiedAt: null,
  completedAt: null,
  deniedReason: null,
  result: null,
} as const

const ACCESS_DONE = {
  id: 'rr_0mxcqqq900000h24pyrwk',
  type: 'access',
  status: 'completed',
  regime: 'gdpr',
  jurisdiction: 'UK',
  channel: 'staff',
  receivedAt: '2026-02-20T15:02:41.404Z',
  dueAt: '2026-03-20T15:02:41.404Z',
  overdue: false,
  extensionReason: null,
  verifiedAt: '2026-02-20T15:02:41.404Z',
  completedAt: '2026-02-20T15:02:41.413Z',
  deniedReason: null,
  result: { sections: ['recommend', 'events', 'consent', 'audit', 'outbox', 'identity'] },
} as const

/** The body of `POST /v1/rights-requests` */
export const RIGHTS_CREATE_EXAMPLE = {
  type: 'erasure',
  subject: 'cust-1042',
  jurisdiction: 'UK',
} as const

/** Its answer to a shopper token: waiting for the code sent to the shopper. */
export const RIGHTS_CREATED_EXAMPLE = { ...WAITING, attemptsLeft: 5 } as const

/** One request, as staff, the subject and the queue see it. */
export const RIGHTS_REQUEST_EXAMPLE = ACCESS_DONE

/** `GET /v1/rights-requests` (staff queue) and `GET /v1/subjects/{ref}/rights-requests` */
export const RIGHTS_LIST_EXAMPLE = { requests: [WAITING, ACCESS_DONE] }

/** The body of `POST /v1/rights-requests/{id}/verify` */
export const RIGHTS_VERIFY_EXAMPLE = { code: '725626' }

/** Its answer: verified, and carried out at once. */
export const RIGHTS_VERIFIED_EXAMPLE = {
  ...WAITING,
  status: 'completed',
  verifiedAt: '2026-03-01T10:31:40.118Z',
  completedAt: '2026-03-01T10:31:40.262Z',
  // What each module erased, by module.
  result: {
    recommend: { feedback: 1, modelContributions: 1 },
    events: { events: 30 },
    consent: { consentRecords: 3 },
    audit: {},
    outbox: { messages: 1 },
    identity: { subjects: 1 },
  },
} as const

/** `POST /v1/rights-requests/{id}/resend-code` */
export const RIGHTS_CODE_STATE_EXAMPLE = {
  expiresAt: '2026-03-01T10:41:02.544Z',
  attemptsLeft: 4,
  resendsLeft: 2,
}

/** The body of `POST /v1/rights-requests/{id}/extend` */
export const RIGHTS_EXTEND_EXAMPLE = {
  reason:
    'The order history sits with our warehouse system, which needs a few more weeks to search.',
  months: 1,
} as const

/** Its answer: the new deadline, and the reason the shopper sees. */
export const RIGHTS_EXTENDED_EXAMPLE = {
  ...WAITING,
  dueAt: '2026-05-01T10:30:12.509Z',
  extensionReason: RIGHTS_EXTEND_EXAMPLE.reason,
} as const

/** The body of `POST /v1/rights-requests/{id}/deny` */
export const RIGHTS_DENY_EXAMPLE = {
  ground: 'manifestly_unfounded',
  reason: 'The same request was answered last week.',
} as const

/** Its answer. */
export const RIGHTS_DENIED_EXAMPLE = {
  ...WAITING,
  id: 'rr_0mxcqqqfp0000prvuc2vz',
  type: 'objection',
  status: 'denied',
  completedAt: '2026-03-01T11:05:19.670Z',
  deniedReason: RIGHTS_DENY_EXAMPLE.reason,
  result: { ground: 'manifestly_unfounded' },
} as const

const SUBJECT = 'sub_1ck6yj2b1q7fk12hwdrzv09i'
const NOTICE_VERSION = 'dc2a8812386172cc13f1532fc884fe346f21ecb333738e967ef49ed710392c8d'

/** `GET /v1/rights-requests/{id}/export` as JSON, shortened to one record per list. */
export const RIGHTS_EXPORT_EXAMPLE = {
  format: 'candor-subject-export/1',
  requestId: ACCESS_DONE.id,
  subjectId: SUBJECT,
  generatedAt: '2026-02-20T15:03:10.481Z',
  recommend: {
    feedback: [],
    touchpointCounts: [],
    model: {
      contributesToModel: true,
      itemsInModel: ['21932', '22570'],
      trainedAt: '2026-02-20T03:00:00.000Z',
    },
  },
  events: {
    events: [
      {
        id: 'evt-20260119-0001',
        type: 'purchase',
        receivedAt: '2026-01-19T11:02:10.106Z',
        purposes: ['personalize.recommendations'],
        expiresAt: '2027-01-19T11:02:09.407Z',
        subjectId: SUBJECT,
        item: '21932',
        quantity: 10,
        price: 1.65,
        currency: 'GBP',
        occurredAt: '2026-01-19T11:02:09.407Z',
      },
    ],
  },
  consent: {
    settings: {
      level: 'personal',
      jurisdiction: 'UK',
      restricted: false,
      updatedAt: '2026-01-19T10:58:33.105Z',
    },
    consentRecords: [
      {
        id: 'cr_0mxcqqm4g0000o9e7pow9',
        purpose: 'personalize.recommendations',
        decision: 'granted',
        method: 'banner',
        noticeVersion: NOTICE_VERSION,
        jurisdiction: 'UK',
        recordedAt: '2026-01-19T10:58:33.056Z',
      },
    ],
    promptsShown: [],
  },
  audit: {
    entries: [
      {
        seq: 612,
        at: '2026-01-19T10:58:33.056Z',
        actor: 'key:key_r4quucipjoycew18',
        action: 'consent.recorded',
        subjectId: SUBJECT,
        details: { decision: 'granted', method: 'banner', purpose: 'personalize.recommendations' },
        prevHash: '6ed6a2bc0b697b2fec2afc8cba17ebda6b542cb20156a7a922df51e3b75db702',
        hash: '2d4f0f9a48283fe481bcb0f31190cb818c01877063a6b0547d8be4b10bf5bdbb',
      },
    ],
  },
  outbox: { messages: [] },
  identity: { vault: null },
}
