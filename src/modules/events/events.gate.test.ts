import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  EVENT_FIELDS,
  type EventType,
  type LegalBasis,
  eventFieldsFor,
  noticeVersionOf,
  parseCharter,
  purposesForEvent,
} from '../charter/index.js'
import { type ConsentContext, type ConsentRecord, allowedToCollect } from '../consent/index.js'
import { SESSION_TTL_MS, type SessionRow } from '../session/index.js'
import { INPUT_EVENT_TYPES, type StoredEvent } from './events.js'
import type { GateOutput, GateReads } from './events.gate.types.js'
import { checkEvents, createGatePolicy, gate, storedKey, withStored } from './events.gate.js'

const charter = parseCharter(
  readFileSync(fileURLToPath(new URL('../../../candor.charter.yaml', import.meta.url)), 'utf8'),
)
const policy = createGatePolicy(charter)
const VERSION = noticeVersionOf(charter)
const NOW = new Date('2026-03-01T12:00:00.000Z')
const DAY = 86_400_000
const PURPOSES = Object.keys(charter.purposes)
const FIELD_NAMES = [
  'item',
  'quantity',
  'price',
  'currency',
  'query',
  'placement',
  'recommId',
  'kind',
  'rating',
  'timestamp',
]
const REFS = ['cust-1', 'cust-2', 'cust-3']
const SESSION_IDS = ['visit-0001', 'visit-0002']
/** Known subjects: cust-3 has never been seen (a subject is created only when something is kept). */
const SUBJECT_IDS = new Map([
  ['cust-1', 'sub_1'],
  ['cust-2', 'sub_2'],
])
const SESSION_KEYS = new Map(SESSION_IDS.map((id, i) => [id, `ses_${i}`]))
/** The envelope of a stored event; every other field must be one the charter declares. */
const ENVELOPE = new Set([
  'id',
  'type',
  'subjectId',
  'sessionKey',
  'receivedAt',
  'purposes',
  'expiresAt',
])
/** A stored field and the charter field it comes from (the time an event happened is `timestamp`). */
const CHARTER_NAME: Record<string, string> = { occurredAt: 'timestamp' }

const record = fc.record({
  purpose: fc.constantFrom(...PURPOSES),
  decision: fc.constantFrom('granted' as const, 'granted' as const, 'denied' as const),
  method: fc.constantFrom('banner' as const, 'privacy_center' as const, 'gpc' as const),
  minutesAgo: fc.integer({ min: 1, max: 10_000 }),
})

const context = fc
  .record({
    records: fc.array(record, { maxLength: 10 }),
    jurisdiction: fc.constantFrom('EU', 'UK', 'US-CA', 'US-CA', undefined),
    restricted: fc.integer({ min: 0, max: 5 }).map((n) => n === 0),
    gpc: fc.boolean(),
  })
  .map(({ records, jurisdiction, restricted, gpc }): ConsentContext => ({
    charter,
    jurisdiction,
    restricted,
    gpc,
    now: NOW,
    records: records
      .map((r): ConsentRecord => ({
        purpose: r.purpose,
        decision: r.decision,
        method: r.method,
        noticeVersion: VERSION,
        jurisdiction: jurisdiction ?? 'default',
        recordedAt: new Date(NOW.getTime() - r.minutesAgo * 60_000),
      }))
      .sort((a, b) => a.recordedAt.getTime() - b.recordedAt.getTime()),
  }))

/** Raw events as a shop might send them: mostly fields of the type's vocabulary, some malformed. */
const rawEvent = fc
  .record({
    id: fc.constantFrom('e1', 'e2', 'e3', 'e4', 'e5', 'e6'),
    type: fc.constantFrom(...INPUT_EVENT_TYPES, 'unknown_type'),
    owner: fc.oneof(
      { weight: 5, arbitrary: fc.constantFrom(...REFS).map((subject) => ({ subject })) },
      { weight: 3, arbitrary: fc.constantFrom(...SESSION_IDS).map((session) => ({ session })) },
      { weight: 1, arbitrary: fc.constant({}) },
      { weight: 1, arbitrary: fc.constant({ subject: 'cust-1', session: 'visit-0001' }) },
    ),
    values: fc.record({
      item: fc.constantFrom('85123A', '22423', '85123A', '22423', ''),
      query: fc.constantFrom('candles', 'tea', 'mail me at ann@example.com'),
      quantity: fc.oneof(fc.integer({ min: 1, max: 3 }), fc.integer({ min: -2, max: 3 })),
      price: fc.double({ min: 0, max: 100, noNaN: true }),
      currency: fc.constantFrom('GBP', 'EUR'),
      placement: fc.constantFrom('home', 'pdp'),
      recommId: fc.constant('rec_1'),
      kind: fc.constantFrom('not_interested', 'rating'),
      rating: fc.integer({ min: 1, max: 5 }),
    }),
    /** Which of the type's fields are sent (the required one most of the time). */
    sent: fc.subarray(FIELD_NAMES),
    required: fc.integer({ min: 0, max: 5 }).map((n) => n > 0),
    daysAgo: fc.option(fc.integer({ min: -1, max: 900 }), { nil: undefined }),
    extra: fc.option(fc.constantFrom('email', 'colour', 'query', 'rating'), {
      freq: 4,
      nil: undefined,
    }),
  })
  .map(({ type, owner, values, sent, required, daysAgo, extra, id }) => {
    const raw: Record<string, unknown> = { id, type, ...owner }
    const charterType = (
      type === 'add_to_cart' || type === 'remove_from_cart' ? 'cart' : type
    ) as EventType
    const vocabulary: readonly string[] = EVENT_FIELDS[charterType] ?? []
    const fields = sent.filter((f) => vocabulary.includes(f))
    if (required) fields.push(charterType === 'search' ? 'query' : 'item')
    for (const field of fields)
      if (field in values) raw[field] = values[field as keyof typeof values]
    if (daysAgo !== undefined)
      raw.timestamp = new Date(NOW.getTime() - daysAgo * DAY + 1234).toISOString()
    if (extra !== undefined && raw[extra] === undefined)
      raw[extra] = extra in values ? values[extra as keyof typeof values] : 'x'
    return raw
  })

const sessionRow = (key: string, hoursLeft: number): SessionRow => ({
  sessionKey: key,
  startedAt: new Date(NOW.getTime() - SESSION_TTL_MS + hoursLeft * 3_600_000).toISOString(),
  expiresAt: new Date(NOW.getTime() + hoursLeft * 3_600_000).toISOString(),
})

const reads = fc
  .record({
    contexts: fc.array(context, { minLength: 5, maxLength: 5 }),
    anonymous: context,
    /** Hours left of each visit's session: negative means it expired, undefined that none exists. */
    sessionHours: fc.array(fc.option(fc.integer({ min: -30, max: 23 }), { nil: undefined }), {
      minLength: 2,
      maxLength: 2,
    }),
    declaredBasis: fc.option(
      fc.constantFrom<LegalBasis>('consent', 'contract', 'legitimate_interest'),
      { nil: undefined },
    ),
  })
  .map(({ contexts, anonymous, sessionHours, declaredBasis }): GateReads => {
    const sessions = new Map<string, SessionRow>()
    const owners = ['sub_1', 'sub_2', 'ses_0', 'ses_1']
    sessionHours.forEach((hours, i) => {
      if (hours !== undefined) sessions.set(`ses_${i}`, sessionRow(`ses_${i}`, hours))
    })
    const byOwner = new Map<string, ConsentContext>()
    owners.forEach((owner, i) => {
      const open =
        !owner.startsWith('ses_') || (sessions.get(owner)?.expiresAt ?? '') > NOW.toISOString()
      if (open) byOwner.set(owner, contexts[i]!)
    })
    return {
      subjectIds: SUBJECT_IDS,
      sessionKeys: SESSION_KEYS,
      sessions,
      contexts: byOwner,
      anonymous: { ...anonymous, records: [] },
      declaredBasis,
    }
  })

const batch = fc.array(rawEvent, { maxLength: 25 })

function run(raw: Record<string, unknown>[], r: GateReads): GateOutput {
  return gate(checkEvents(raw, NOW), r, policy, NOW)
}

/** The owner a stored row belongs to, as the consent contexts are keyed. */
function ownerOf(row: { ref?: string; event: StoredEvent }): string | undefined {
  return row.event.subjectId ?? row.event.sessionKey
}

describe('the event gate (properties)', () => {
  it('gives every input event exactly one result, with its id, in input order', () => {
    fc.assert(
      fc.property(batch, reads, (raw, r) => {
        const out = run(raw, r)
        expect(out.results).toHaveLength(raw.length)
        raw.forEach((event, i) => {
          const result = out.results[i]
          expect(result, `event ${i}`).toBeDefined()
          if (typeof event.id === 'string') expect(result!.id).toBe(event.id)
        })
      }),
      { numRuns: 300 },
    )
  })

  it('stores an event exactly when its result is stored, and nothing for a refused or repeated one', () => {
    const seen = { stored: 0, refused: 0, duplicate: 0 }
    fc.assert(
      fc.property(batch, reads, (raw, r) => {
        const out = run(raw, r)
        for (const res of out.results) seen[res.status] += 1
        const rowIndexes = out.rows.map((row) => row.index)
        expect(new Set(rowIndexes).size).toBe(rowIndexes.length)
        const stored = out.results.flatMap((res, i) => (res.status === 'stored' ? [i] : []))
        expect(rowIndexes).toEqual(stored)
        for (const row of out.rows) expect(row.event.id).toBe(out.results[row.index]!.id)
      }),
      { numRuns: 300 },
    )
    // The generators reach every outcome (else the properties above would hold vacuously).
    expect(seen.stored).toBeGreaterThan(20)
    expect(seen.refused).toBeGreaterThan(50)
    expect(seen.duplicate).toBeGreaterThan(5)
  })

  it('never stores a field the charter does not declare for the row’s type and purposes', () => {
    fc.assert(
      fc.property(batch, reads, (raw, r) => {
        for (const { event } of run(raw, r).rows) {
          expect(event.purposes.length).toBeGreaterThan(0)
          const mapped = purposesForEvent(charter, event.type)
          for (const p of event.purposes) expect(mapped).toContain(p)
          const declared = new Set<string>(eventFieldsFor(charter, event.type, event.purposes))
          for (const field of Object.keys(event)) {
            if (ENVELOPE.has(field)) continue
            expect(declared, `${event.type} ${field}`).toContain(CHARTER_NAME[field] ?? field)
          }
        }
      }),
      { numRuns: 300 },
    )
  })

  it('stores an event only for purposes the consent decision allows its owner, under a pseudonym', () => {
    fc.assert(
      fc.property(batch, reads, (raw, r) => {
        for (const row of run(raw, r).rows) {
          const owner = ownerOf(row)
          const ctx = (owner === undefined ? undefined : r.contexts.get(owner)) ?? r.anonymous
          for (const purpose of row.event.purposes)
            expect(allowedToCollect({ ...ctx, purpose }, r.declaredBasis)).toBe(true)
          // A customer reference is never stored: a known one becomes its subject id; a new one is
          // carried beside the row for the writer to turn into a subject.
          if (row.ref !== undefined) expect(row.event.subjectId).toBeUndefined()
          else expect(owner).toMatch(/^(sub|ses)_/)
          if (row.event.sessionKey !== undefined)
            for (const p of row.event.purposes) expect(charter.purposes[p]!.retentionDays).toBe(0)
        }
      }),
      { numRuns: 300 },
    )
  })

  it('keeps every stored event until after now, a session event no longer than its visit', () => {
    fc.assert(
      fc.property(batch, reads, (raw, r) => {
        const nowIso = NOW.toISOString()
        const latestVisitEnd = new Date(NOW.getTime() + SESSION_TTL_MS).toISOString()
        for (const { event } of run(raw, r).rows) {
          expect(event.expiresAt > nowIso).toBe(true)
          expect(event.receivedAt).toBe(nowIso)
          if (event.sessionKey !== undefined) expect(event.expiresAt <= latestVisitEnd).toBe(true)
        }
      }),
      { numRuns: 300 },
    )
  })

  it('gives the same answer for the same batch, and another event changes no other event’s answer', () => {
    fc.assert(
      fc.property(batch, rawEvent, reads, (raw, added, r) => {
        const before = run(raw, r)
        expect(run(raw, r)).toEqual(before)
        // An event appended with an id no other event has: the earlier answers stay as they were.
        const after = run([...raw, { ...added, id: 'appended' }], r)
        expect(after.results.slice(0, raw.length)).toEqual(before.results)
      }),
      { numRuns: 200 },
    )
  })

  it('answers duplicate for an event the store already holds, and stores it no more', () => {
    fc.assert(
      fc.property(batch, reads, (raw, r) => {
        const out = run(raw, r)
        const held = new Set(out.lookups.map((l) => storedKey(l.owner, l.eventId)))
        const again = withStored(out, held)
        for (const { index } of out.lookups) expect(again.results[index]!.status).toBe('duplicate')
        for (const row of again.rows) expect(row.event.sessionKey).toBeUndefined()
        expect(withStored(out, new Set())).toEqual(out)
      }),
      { numRuns: 200 },
    )
  })
})

describe('the event gate (examples)', () => {
  const r: GateReads = {
    subjectIds: SUBJECT_IDS,
    sessionKeys: SESSION_KEYS,
    sessions: new Map(),
    contexts: new Map(),
    anonymous: { charter, jurisdiction: 'UK', records: [], now: NOW },
  }
  const grant = (purpose: string): ConsentContext => ({
    ...r.anonymous,
    records: [
      {
        purpose,
        decision: 'granted',
        method: 'banner',
        noticeVersion: VERSION,
        jurisdiction: 'UK',
        recordedAt: new Date(NOW.getTime() - 60_000),
      },
    ],
  })

  it('drops a known field no allowed purpose keeps and names it; refuses an unknown one', () => {
    const reads = { ...r, contexts: new Map([['sub_1', grant('personalize.recommendations')]]) }
    const out = run(
      [
        { id: 'a', type: 'view', subject: 'cust-1', item: '85123A', placement: 'home' },
        { id: 'b', type: 'view', subject: 'cust-1', item: '85123A', colour: 'red' },
      ],
      reads,
    )
    expect(out.results[1]).toEqual({
      id: 'b',
      status: 'refused',
      reason: 'undeclared_field',
      field: 'colour',
    })
    expect(out.rows).toHaveLength(1)
    const kept = new Set(eventFieldsFor(charter, 'view', out.rows[0]!.event.purposes))
    expect(out.results[0]!.status).toBe('stored')
    if (!kept.has('placement')) expect(out.results[0]!.dropped).toEqual(['placement'])
  })

  it('refuses a search whose query holds an email address', () => {
    const reads = { ...r, contexts: new Map([['sub_1', grant('personalize.recommendations')]]) }
    const out = run(
      [{ id: 's', type: 'search', subject: 'cust-1', query: 'write to ann@example.com' }],
      reads,
    )
    expect(out.results[0]).toMatchObject({ status: 'refused', reason: 'personal_data' })
    expect(out.rows).toEqual([])
  })
})
