/**
 * The security review (issue 20, point 3): the audit log's hash chain verified, API keys by age and
 * last use, failed authentications, the file modes of the data directory, and the transport settings
 * in force (TLS, CORS). Figures and key ids only: a key's secret is never read (only its hash is
 * stored anyway).
 */
import fs from 'node:fs'
import path from 'node:path'
import { DAY_MS } from '../../lib/clock.js'
import type { Config } from '../../config.js'
import type { Db } from '../../storage/db.js'
import type { AuditLog } from '../audit/index.js'
import { activeKeys } from './reviews.repository.js'
import type { AuditPart, ChartSpec, Finding, KeyAge, SecurityReview } from './reviews.js'

/** A key older than this should be rotated. */
export const KEY_MAX_AGE_DAYS = 365
/** A key not used for this long (or never, this long after it was made) should be revoked. */
export const KEY_UNUSED_DAYS = 90

export interface SecurityDeps {
  db: Db
  config: Pick<Config, 'dataDir' | 'tls' | 'corsOrigins' | 'trustedProxies' | 'keyFile'>
  audit: Pick<AuditLog, 'verify'>
}

export interface SecurityOptions {
  /** The server's failed-authentication counters since it started (`AuthFailureLimit`). */
  authFailures?: { failures: number; blocked: number } | undefined
}

const finding = (
  check: string,
  severity: Finding['severity'],
  title: string,
  detail: string,
  figures?: Record<string, number>,
): Finding => ({
  area: 'security',
  check,
  severity,
  title,
  detail,
  ...(figures ? { figures } : {}),
})

/** Each active key's age and last use, flagged when old or unused. */
export function keyAges(
  rows: readonly { id: string; role: string; created_at: string; last_used_at: string | null }[],
  now: Date,
): KeyAge[] {
  const days = (iso: string) => Math.floor((now.getTime() - Date.parse(iso)) / DAY_MS)
  return rows.map((row) => {
    const ageDays = days(row.created_at)
    const lastUsedDays = row.last_used_at === null ? null : days(row.last_used_at)
    const idle = lastUsedDays ?? ageDays
    const flagged = idle >= KEY_UNUSED_DAYS ? 'unused' : ageDays >= KEY_MAX_AGE_DAYS ? 'old' : null
    return { keyId: row.id, role: row.role, ageDays, lastUsedDays, flagged }
  })
}

/**
 * The data directory and what lies directly in it (and in `outbox/`): anything a group or other
 * users may read or write is a problem, for it holds the database, the key file and the outbox.
 */
export function fileModes(config: SecurityDeps['config']): SecurityReview['files'] {
  const out: SecurityReview['files'] = []
  const check = (file: string, isDir: boolean) => {
    let mode: number
    try {
      mode = fs.statSync(file).mode & 0o777
    } catch {
      return
    }
    const open = (mode & 0o077) !== 0
    out.push({
      path: path.relative(config.dataDir, file) || '.',
      mode: mode.toString(8).padStart(3, '0'),
      problem: open
        ? `${isDir ? 'directory' : 'file'} is open to ${mode & 0o007 ? 'every user' : 'its group'}; chmod ${isDir ? '700' : '600'}`
        : null,
    })
  }
  check(config.dataDir, true)
  const walk = (dir: string, depth: number) => {
    let entries: fs.Dirent[]
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true })
    } catch {
      return
    }
    for (const entry of entries) {
      const full = path.join(dir, entry.name)
      check(full, entry.isDirectory())
      if (entry.isDirectory() && depth > 0) walk(full, depth - 1)
    }
  }
  walk(config.dataDir, 1)
  if (!path.resolve(config.keyFile).startsWith(path.resolve(config.dataDir) + path.sep))
    check(config.keyFile, false)
  return out.sort((a, b) => a.path.localeCompare(b.path))
}

/** TLS and CORS as configured. */
export function transport(config: SecurityDeps['config']): SecurityReview['transport'] {
  const tls = config.tls !== undefined
  const wildcard = config.corsOrigins.includes('*')
  const problem = wildcard
    ? 'CORS allows every origin (*): name the shop origins in CANDOR_CORS_ORIGINS'
    : !tls && config.trustedProxies.length === 0
      ? 'no TLS here and no trusted proxy: serve through a TLS-terminating proxy or set CANDOR_TLS_CERT'
      : null
  return { tls, corsOrigins: [...config.corsOrigins], problem }
}

/** The security review at `now`. */
export async function reviewSecurity(
  deps: SecurityDeps,
  now: Date,
  options: SecurityOptions = {},
): Promise<AuditPart<SecurityReview>> {
  const verified = await deps.audit.verify()
  const part: SecurityReview = {
    auditLog: verified.ok
      ? { ok: true, entries: verified.entries, problem: null }
      : {
          ok: false,
          entries: verified.entries,
          problem: `entry ${verified.firstBrokenSeq}: ${verified.reason}`,
        },
    keys: keyAges(await activeKeys(deps.db), now),
    failedAuthentications:
      options.authFailures === undefined
        ? null
        : { count: options.authFailures.failures, blocked: options.authFailures.blocked },
    files: fileModes(deps.config),
    transport: transport(deps.config),
  }
  return { part, findings: securityFindings(part), charts: securityCharts(part) }
}

/** The findings, from the figures (pure). */
export function securityFindings(part: SecurityReview): Finding[] {
  return [...auditLogFindings(part), ...keyFindings(part), ...accessFindings(part)]
}

/** The audit log verifies from its first entry. */
function auditLogFindings(part: SecurityReview): Finding[] {
  const out: Finding[] = []
  out.push(
    part.auditLog.ok
      ? finding(
          'security.audit_log',
          'ok',
          'The audit log verifies.',
          `All ${part.auditLog.entries} entries chain from the first by their hashes.`,
          { entries: part.auditLog.entries },
        )
      : finding(
          'security.audit_log',
          'problem',
          'The audit log does not verify: it was changed.',
          `The chain breaks at ${part.auditLog.problem}. Compare with the last signed checkpoint (candor audit verify) and restore from backup.`,
          { entries: part.auditLog.entries },
        ),
  )
  return out
}

/** API keys: unused ones and old ones. */
function keyFindings(part: SecurityReview): Finding[] {
  const out: Finding[] = []
  const unused = part.keys.filter((k) => k.flagged === 'unused')
  const old = part.keys.filter((k) => k.flagged === 'old')
  out.push(
    unused.length > 0
      ? finding(
          'security.key_unused',
          'warning',
          'Some API keys are not in use.',
          `${unused.map((k) => `${k.keyId} (${k.role}, ${k.lastUsedDays === null ? 'never used' : `last used ${k.lastUsedDays} days ago`})`).join(', ')}: unused for ${KEY_UNUSED_DAYS} days or more. Revoke them (candor keys revoke).`,
          { keys: unused.length },
        )
      : finding(
          'security.key_unused',
          'ok',
          'Every API key is in use.',
          `${part.keys.length} active keys, each used within ${KEY_UNUSED_DAYS} days or newer than that.`,
          { keys: 0 },
        ),
    old.length > 0
      ? finding(
          'security.key_age',
          'warning',
          'Some API keys are old.',
          `${old.map((k) => `${k.keyId} (${k.role}, ${k.ageDays} days)`).join(', ')}: older than ${KEY_MAX_AGE_DAYS} days. Make a new key, move to it, revoke the old one.`,
          { keys: old.length },
        )
      : finding(
          'security.key_age',
          'ok',
          'No API key is older than a year.',
          `${part.keys.length} active keys.`,
          { keys: 0 },
        ),
  )
  return out
}

/** Failed authentications, file modes and transport settings. */
function accessFindings(part: SecurityReview): Finding[] {
  const out: Finding[] = []
  const f = part.failedAuthentications
  if (f !== null)
    out.push(
      f.blocked > 0
        ? finding(
            'security.failed_auth',
            'warning',
            'Addresses were blocked for too many failed authentications.',
            `${f.count} failed authentications since the server started; ${f.blocked} requests refused for too many. Someone may be guessing keys: check the request log by address.`,
            { failures: f.count, blocked: f.blocked },
          )
        : finding(
            'security.failed_auth',
            f.count > 0 ? 'info' : 'ok',
            'Failed authentications since the server started.',
            `${f.count} failed authentications; none blocked.`,
            { failures: f.count, blocked: 0 },
          ),
    )
  const open = part.files.filter((x) => x.problem !== null)
  out.push(
    open.length > 0
      ? finding(
          'security.file_modes',
          'problem',
          'Files of the data directory are readable by other users.',
          open.map((x) => `${x.path} ${x.mode}: ${x.problem}`).join('; '),
          { files: open.length },
        )
      : finding(
          'security.file_modes',
          'ok',
          'The data directory is readable by its owner only.',
          `${part.files.length} entries checked.`,
          { files: 0 },
        ),
    part.transport.problem !== null
      ? finding(
          'security.transport',
          'warning',
          'Transport settings need attention.',
          part.transport.problem,
        )
      : finding(
          'security.transport',
          'ok',
          'Transport settings are in order.',
          `TLS ${part.transport.tls ? 'here' : 'at a trusted proxy'}; CORS ${part.transport.corsOrigins.length === 0 ? 'closed' : `for ${part.transport.corsOrigins.join(', ')}`}.`,
        ),
  )
  return out
}

function securityCharts(part: SecurityReview): ChartSpec[] {
  if (part.keys.length === 0) return []
  return [
    {
      name: 'security-key-ages',
      title: 'API keys: age and days since last use',
      spec: {
        $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
        description: `Keys unused for ${KEY_UNUSED_DAYS} days or older than ${KEY_MAX_AGE_DAYS} days are flagged`,
        data: {
          values: part.keys.map((k) => ({
            key: k.keyId,
            role: k.role,
            age: k.ageDays,
            idle: k.lastUsedDays ?? k.ageDays,
            flagged: k.flagged ?? 'ok',
          })),
        },
        mark: { type: 'point', filled: true, size: 80 },
        encoding: {
          x: { field: 'age', type: 'quantitative', title: 'age (days)' },
          y: { field: 'idle', type: 'quantitative', title: 'days since last use' },
          color: { field: 'flagged', type: 'nominal', title: 'flag' },
          shape: { field: 'role', type: 'nominal' },
          tooltip: [{ field: 'key' }, { field: 'role' }, { field: 'age' }, { field: 'idle' }],
        },
      },
    },
  ]
}
