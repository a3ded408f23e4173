/**
 * The privacy audit (issue 20, point 2): what is stored, checked against the charter and the consent
 * ledger, re-derived rather than trusted.
 *
 * - Retention: every stored event against its time plus the longest retention of the purposes it was
 *   stored for (and its own stored expiry), with `RETENTION_GRACE_MS` for the sweep to run.
 * - Grant at storage time: every purpose of every stored event decided again from the owner's ledger
 *   as it stood when the event was received (`decideConsent` at `received_at`). A consent purpose needs
 *   a grant on record; a contract or legitimate-interest purpose the owner never decided is lawful as
 *   an import may declare it (`allowedUnderDeclaredBasis`).
 * - Consent coverage per purpose now; rights requests on time; vault contents in plain text in the
 *   database; differential privacy spent per insights key; vendors declared vs receiving data.
 */
import { DAY_MS } from '../../lib/clock.js'
import type { Config } from '../../config.js'
import type { Db } from '../../storage/db.js'
import { type Charter, findPurpose, retentionDaysFor } from '../charter/index.js'
import {
  type ConsentContext,
  type ConsentService,
  allowedUnderDeclaredBasis,
  decideConsent,
} from '../consent/index.js'
import type { IdentityService } from '../identity/index.js'
import { SESSION_PREFIX, SESSION_TTL_MS } from '../session/index.js'
import { plaintextScan } from './reviews.plaintext.js'
import {
  activeKeys,
  eachEvent,
  insightsSpends,
  purposesOf,
  rightsRequests,
  subjectSettings,
  subjectsWithRecords,
} from './reviews.repository.js'
import type { AuditPart, ChartSpec, Finding, PrivacyAudit, PurposeCoverage } from './reviews.js'

export interface PrivacyDeps {
  db: Db
  dialect: 'sqlite' | 'postgres'
  config: Pick<Config, 'database'>
  charter: Charter
  consent: Pick<ConsentService, 'contextsFor'>
  identity: Pick<IdentityService, 'readVault'>
  /** The vendors module's counts (`GET /v1/vendors`): deliveries sent and deletion requests overdue. */
  vendors?: { status(): Promise<{ vendor: string; sent: number; deletionsOverdue: number }[]> }
}

/** The retention sweep runs hourly; an event is reported once it is this far past its retention. */
export const RETENTION_GRACE_MS = DAY_MS

const finding = (
  check: string,
  severity: Finding['severity'],
  title: string,
  detail: string,
  figures?: Record<string, number>,
): Finding => ({ area: 'privacy', check, severity, title, detail, ...(figures ? { figures } : {}) })

/** Re-derives retention and lawfulness of every stored event: counts only. */
async function checkEvents(deps: PrivacyDeps, now: Date) {
  let eventsChecked = 0
  let pastRetention = 0
  let withoutGrant = 0
  const byPurpose = new Map<string, number>()
  for await (const page of eachEvent(deps.db)) {
    const contexts = await deps.consent.contextsFor([...new Set(page.map((r) => r.owner))], {})
    for (const row of page) {
      eventsChecked++
      const purposes = purposesOf(row)
      const days = retentionDaysFor(deps.charter, purposes)
      const happened = Date.parse(row.occurred_at ?? row.received_at)
      const keepUntil = happened + (days === 0 ? SESSION_TTL_MS : days * DAY_MS)
      const limit = Math.min(keepUntil, Date.parse(row.expires_at)) + RETENTION_GRACE_MS
      if (now.getTime() > limit) pastRetention++
      const context = contexts.get(row.owner)
      const storedAt = new Date(row.received_at)
      const lawful = (purpose: string) => lawfulAt(deps.charter, context, purpose, storedAt)
      const unlawful = purposes.filter((p) => !lawful(p))
      if (purposes.length === 0 || unlawful.length > 0) {
        withoutGrant++
        for (const p of unlawful) byPurpose.set(p, (byPurpose.get(p) ?? 0) + 1)
      }
    }
  }
  return { eventsChecked, pastRetention, withoutGrant, byPurpose }
}

/** Was processing for `purpose` lawful at `at`, from the owner's ledger as it stood then? */
function lawfulAt(
  charter: Charter,
  context: ConsentContext | undefined,
  purpose: string,
  at: Date,
): boolean {
  if (findPurpose(charter, purpose) === undefined) return false
  const decided = decideConsent({
    charter,
    jurisdiction: context?.jurisdiction,
    records: context?.records ?? [],
    // Neither a restriction nor a GPC request is kept as history: the records themselves are.
    restricted: false,
    gpc: false,
    purpose,
    now: at,
  })
  return decided.allowed || allowedUnderDeclaredBasis(decided.basis, decided)
}

/** Subjects known (with settings or consent records) and how many each purpose may process now. */
async function coverage(deps: PrivacyDeps, now: Date): Promise<PurposeCoverage[]> {
  const subjects = [
    ...new Set([
      ...(await subjectSettings(deps.db)).map((s) => s.subject_id),
      ...(await subjectsWithRecords(deps.db)),
    ]),
  ].filter((id) => !id.startsWith(SESSION_PREFIX))
  const granted = new Map<string, number>()
  for (let k = 0; k < subjects.length; k += 1000) {
    const contexts = await deps.consent.contextsFor(subjects.slice(k, k + 1000), {})
    for (const context of contexts.values())
      for (const purpose of Object.keys(deps.charter.purposes))
        if (decideConsent({ ...context, gpc: false, purpose, now }).allowed)
          granted.set(purpose, (granted.get(purpose) ?? 0) + 1)
  }
  return Object.entries(deps.charter.purposes).map(([purpose, p]) => {
    const n = granted.get(purpose) ?? 0
    return {
      purpose,
      legalBasis: p.legalBasis,
      granted: n,
      subjects: subjects.length,
      share: subjects.length === 0 ? 0 : Math.round((n / subjects.length) * 1e4) / 1e4,
    }
  })
}

/** Rights requests: closed in time, overdue (open past due, or closed late), the slowest. */
async function requests(deps: PrivacyDeps, now: Date): Promise<PrivacyAudit['requests']> {
  const rows = await rightsRequests(deps.db)
  let closed = 0
  let onTime = 0
  let overdue = 0
  let slowest: number | null = null
  for (const r of rows) {
    const done = r.status === 'completed' || r.status === 'denied'
    const end = done ? Date.parse(r.completed_at ?? r.due_at) : now.getTime()
    const days = (end - Date.parse(r.received_at)) / DAY_MS
    slowest = Math.max(slowest ?? 0, Math.round(days * 10) / 10)
    const late = end > Date.parse(r.due_at)
    if (done) {
      closed++
      if (!late) onTime++
    }
    if (late) overdue++
  }
  return {
    total: rows.length,
    closed,
    onTime,
    overdue,
    onTimeRate: closed === 0 ? 1 : Math.round((onTime / closed) * 1e4) / 1e4,
    slowestDays: slowest,
  }
}

/**
 * Vendors the charter declares and those that receive data (an active partner key acts for them, or
 * deliveries were sent to them), with their overdue deletion requests.
 */
async function vendors(deps: PrivacyDeps): Promise<PrivacyAudit['vendors']> {
  const receiving = new Set(
    (await activeKeys(deps.db)).flatMap((k) => (k.vendor === null ? [] : [k.vendor])),
  )
  const sharing = new Map((await deps.vendors?.status())?.map((s) => [s.vendor, s]) ?? [])
  for (const [vendor, s] of sharing) if (s.sent > 0) receiving.add(vendor)
  const declared = Object.keys(deps.charter.vendors)
  return [
    ...declared.map((vendor) => ({
      vendor,
      declared: true,
      receiving: receiving.has(vendor),
      ...(sharing.has(vendor)
        ? {
            sent: sharing.get(vendor)!.sent,
            deletionsOverdue: sharing.get(vendor)!.deletionsOverdue,
          }
        : {}),
    })),
    ...[...receiving]
      .filter((v) => !declared.includes(v))
      .map((vendor) => ({ vendor, declared: false, receiving: true })),
  ]
}

/** The privacy audit at `now`: its figures, findings and charts. */
export async function auditPrivacy(deps: PrivacyDeps, now: Date): Promise<AuditPart<PrivacyAudit>> {
  const events = await checkEvents(deps, now)
  const part: PrivacyAudit = {
    eventsChecked: events.eventsChecked,
    pastRetention: events.pastRetention,
    withoutGrant: events.withoutGrant,
    coverage: await coverage(deps, now),
    requests: await requests(deps, now),
    plaintext: await plaintextScan(deps),
    dpBudgets: await insightsSpends(deps.db),
    vendors: await vendors(deps),
  }
  return { part, findings: privacyFindings(part, events.byPurpose), charts: privacyCharts(part) }
}

/** The findings a privacy officer reads, from the figures (pure). */
export function privacyFindings(part: PrivacyAudit, byPurpose: Map<string, number>): Finding[] {
  return [
    ...storedEventFindings(part, byPurpose),
    ...requestAndPlaintextFindings(part),
    ...vendorAndSpendFindings(part),
  ]
}

/** Stored events: within their retention, and granted when stored. */
function storedEventFindings(part: PrivacyAudit, byPurpose: Map<string, number>): Finding[] {
  const out: Finding[] = []
  out.push(
    part.pastRetention > 0
      ? finding(
          'privacy.retention',
          'problem',
          'Some stored events are kept past their retention.',
          `${part.pastRetention} of ${part.eventsChecked} stored events are more than a day past the longest retention of the purposes they were stored for. Check that the retention job runs (candor jobs) and has no errors.`,
          { events: part.pastRetention },
        )
      : finding(
          'privacy.retention',
          'ok',
          'Every stored event is within its retention.',
          `${part.eventsChecked} stored events checked against their purposes' retention.`,
          { events: 0 },
        ),
    part.withoutGrant > 0
      ? finding(
          'privacy.lawful_basis',
          'problem',
          'Some stored events had no grant or lawful basis when they were stored.',
          `${part.withoutGrant} stored events, re-derived from the consent ledger at the time they were received, lack a grant for a purpose they were stored for (by purpose: ${[...byPurpose].map(([p, n]) => `${p} ${n}`).join(', ') || 'no declared purpose'}). Erase them and find the path that wrote them.`,
          { events: part.withoutGrant },
        )
      : finding(
          'privacy.lawful_basis',
          'ok',
          'Every stored event had a grant or lawful basis when it was stored.',
          `${part.eventsChecked} stored events re-derived from the consent ledger.`,
          { events: 0 },
        ),
  )
  return out
}

/** Rights requests on time, and no vault value in plain text. */
function requestAndPlaintextFindings(part: PrivacyAudit): Finding[] {
  const out: Finding[] = []
  const r = part.requests
  out.push(
    r.overdue > 0
      ? finding(
          'privacy.requests',
          'problem',
          'Rights requests were answered late or are overdue.',
          `${r.overdue} of ${r.total} requests are open past their due date or were closed after it; the slowest took ${r.slowestDays ?? 0} days. Answer them in the console's Requests view.`,
          { overdue: r.overdue, onTimeRate: r.onTimeRate, slowestDays: r.slowestDays ?? 0 },
        )
      : finding(
          'privacy.requests',
          'ok',
          'Rights requests are answered on time.',
          `${r.closed} of ${r.total} requests closed, all in time; the slowest took ${r.slowestDays ?? 0} days.`,
          { overdue: 0, onTimeRate: r.onTimeRate },
        ),
    part.plaintext.found > 0
      ? finding(
          'privacy.plaintext',
          'problem',
          'Personal data from the vault was found in plain text in the database.',
          `${part.plaintext.found} of ${part.plaintext.valuesChecked} vault values appear unencrypted in: ${part.plaintext.where.join(', ')}. Find the write that copied them, erase it, and scrub the database (candor storage scrub).`,
          { values: part.plaintext.found },
        )
      : finding(
          'privacy.plaintext',
          'ok',
          'No vault value was found in plain text in the database.',
          `${part.plaintext.valuesChecked} vault values looked for in the database at rest.`,
          { values: 0 },
        ),
  )
  return out
}

/** Deletion requests vendors have not acknowledged in time (GDPR Art. 19; `src/modules/vendors/`). */
function vendorDeletionFindings(part: PrivacyAudit): Finding[] {
  const overdue = part.vendors.filter((v) => (v.deletionsOverdue ?? 0) > 0)
  if (overdue.length > 0) {
    const total = overdue.reduce((n, v) => n + v.deletionsOverdue!, 0)
    return [
      finding(
        'privacy.vendor_deletions',
        'problem',
        'Vendors have not acknowledged deletion requests in time.',
        `${overdue.map((v) => `${v.vendor}: ${v.deletionsOverdue}`).join('; ')} overdue. Candor keeps retrying; contact the vendor (GET /v1/vendors/deletions/overdue lists them).`,
        { overdue: total },
      ),
    ]
  }
  if (!part.vendors.some((v) => v.sent !== undefined)) return []
  return [
    finding(
      'privacy.vendor_deletions',
      'ok',
      'No deletion request to a vendor is overdue.',
      `${part.vendors.filter((v) => (v.sent ?? 0) > 0).length} vendors received deliveries.`,
    ),
  ]
}

/** Vendors declared, consent coverage and differential-privacy spending. */
function vendorAndSpendFindings(part: PrivacyAudit): Finding[] {
  const out: Finding[] = []
  const undeclared = part.vendors.filter((v) => !v.declared)
  out.push(
    undeclared.length > 0
      ? finding(
          'privacy.vendors',
          'problem',
          'A vendor receives data without being declared in the charter.',
          `${undeclared.map((v) => v.vendor).join(', ')} has an active partner key but is not in the charter's vendors. Revoke the key or declare the vendor.`,
          { undeclared: undeclared.length },
        )
      : finding(
          'privacy.vendors',
          'ok',
          'Every vendor receiving data is declared in the charter.',
          `${part.vendors.length} vendors declared; ${part.vendors.filter((v) => v.receiving).length} receive data (through the clean room or deliveries).`,
        ),
  )
  out.push(...vendorDeletionFindings(part))
  const consentless = part.coverage.filter((c) => c.legalBasis === 'consent' && c.subjects >= 10)
  if (consentless.length > 0)
    out.push(
      finding(
        'privacy.consent_coverage',
        'info',
        'Consent coverage per purpose.',
        consentless.map((c) => `${c.purpose}: ${Math.round(c.share * 100)}%`).join('; '),
      ),
    )
  if (part.dpBudgets !== null)
    out.push(
      finding(
        'privacy.dp_budgets',
        'info',
        'Differential privacy spent by insights keys.',
        part.dpBudgets.length === 0
          ? 'No insights query has spent budget yet.'
          : `${part.dpBudgets.length} keys spent privacy budget; the most: rho ${Math.max(...part.dpBudgets.map((b) => b.usedRho)).toPrecision(3)}.`,
      ),
    )
  return out
}

function privacyCharts(part: PrivacyAudit): ChartSpec[] {
  if (part.coverage.length === 0) return []
  return [
    {
      name: 'privacy-consent-coverage',
      title: 'Who may be processed, per purpose',
      spec: {
        $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
        description: 'Share of known shoppers each purpose may process now',
        data: {
          values: part.coverage.map((c) => ({
            purpose: c.purpose,
            basis: c.legalBasis,
            share: c.share,
          })),
        },
        mark: 'bar',
        encoding: {
          y: { field: 'purpose', type: 'nominal', title: null, sort: '-x' },
          x: {
            field: 'share',
            type: 'quantitative',
            scale: { domain: [0, 1] },
            axis: { format: '%' },
            title: 'share of shoppers',
          },
          color: { field: 'basis', type: 'nominal', title: 'legal basis' },
        },
      },
    },
  ]
}
