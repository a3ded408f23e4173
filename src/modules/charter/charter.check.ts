/**
 * `candor charter check FILE` without the CLI: validate a charter and describe the outcome, for a command
 * (or a start-up log) to print.
 */
import type { Charter } from './charter.js'
import { charterVersion } from './charter.notice.js'
import { aggregateAnalyticsPurposes, cleanRoomPurposes } from './charter.query.js'
import { transferBasis } from './charter.vendors.js'
import {
  charterIssuesOf,
  loadCharterFile,
  parseCharter,
  type CharterIssue,
} from './charter.parse.js'

export type CharterCheck =
  | { ok: true; source: string; charter: Charter; version: string }
  | { ok: false; source: string; issues: CharterIssue[] }

function toCheck(source: string, error: unknown): CharterCheck {
  const issues = charterIssuesOf(error)
  if (issues.length === 0) throw error
  return { ok: false, source, issues }
}

/** Validate charter text; never throws for an invalid charter (other errors propagate). */
export function checkCharterText(text: string, source = 'charter'): CharterCheck {
  try {
    const charter = parseCharter(text, { source })
    return { ok: true, source, charter, version: charterVersion(charter) }
  } catch (error) {
    return toCheck(source, error)
  }
}

/** Read and validate a charter file; a missing file is an invalid charter with rule `file_unreadable`. */
export async function checkCharterFile(path: string): Promise<CharterCheck> {
  try {
    const charter = await loadCharterFile(path)
    return { ok: true, source: path, charter, version: charterVersion(charter) }
  } catch (error) {
    return toCheck(path, error)
  }
}

/** What the charter lets statistics read, with which budget, and who may use the clean room. */
function insightsLines(charter: Charter): string[] {
  const insights = charter.insights
  const feeding = aggregateAnalyticsPurposes(charter)
  if (insights === undefined) {
    return feeding.length === 0
      ? []
      : [
          `  statistics: none served (no insights section), though ${feeding.join(', ')} would feed them`,
        ]
  }
  const lines = [
    `  statistics from: ${feeding.length === 0 ? 'no purpose (set aggregateAnalytics on one)' : feeding.join(', ')}`,
    `  analyst budget: rho ${insights.budget.rho} per ${insights.budget.perDays} days, shown at delta ${insights.delta}; at most ${insights.contribution.maxRowsPerGroup} rows per group and ${insights.contribution.maxGroupsPerSubject} groups per shopper`,
  ]
  for (const key of cleanRoomPurposes(charter)) {
    const partners = Object.entries(charter.vendors)
      .filter(([, v]) => v.purposes.includes(key))
      .map(([k]) => k)
    lines.push(
      `  clean room ${key}: partners ${partners.length === 0 ? 'none (no vendor lists it)' : partners.join(', ')}`,
    )
  }
  if (insights.cleanRoom !== undefined) {
    const room = insights.cleanRoom
    lines.push(
      `  clean-room terms: uploads kept ${room.retentionDays} days, groups under ${room.minGroupSize} shoppers suppressed, partner budget rho ${room.budget.rho} per ${room.budget.perDays} days`,
    )
  }
  return lines
}

/** Each vendor: where it is, what makes the transfer lawful, and which event fields it may be sent. */
function vendorLines(charter: Charter): string[] {
  return Object.entries(charter.vendors).map(
    ([key, v]) =>
      `  vendor ${key} (${v.country}): ${transferBasis(v)}; fields ${v.fields === undefined ? 'all its purposes keep' : v.fields.join(', ')}`,
  )
}

/**
 * Human-readable lines, one per issue, in the `file:line:column` form editors link to.
 *
 * @example
 *   candor.charter.yaml:42:7  retention_missing  every purpose says how many days its data is kept ...
 */
export function formatCharterCheck(check: CharterCheck): string {
  if (check.ok) {
    const purposes = Object.keys(check.charter.purposes).length
    const valid = `${check.source}: valid (${purposes} purposes, notice version ${check.version.slice(0, 12)})`
    return [valid, ...insightsLines(check.charter), ...vendorLines(check.charter)].join('\n')
  }
  const lines = check.issues.map(
    (i) => `${check.source}:${i.line}:${i.column}  ${i.rule}  ${i.reason}`,
  )
  return [
    ...lines,
    `${check.source}: ${check.issues.length} ${check.issues.length === 1 ? 'problem' : 'problems'}`,
  ].join('\n')
}
