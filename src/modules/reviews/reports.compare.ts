/**
 * What changed between two audit reports, for the console and the HTML report ("since the previous
 * report"): per check, the severity before and after and the figures that moved. Pure.
 */
import type { AuditReport, Finding, Severity } from './reviews.js'

export type ChangeKind = 'new' | 'resolved' | 'worse' | 'better' | 'same'

export interface FindingChange {
  check: string
  area: Finding['area']
  title: string
  before: Severity | null
  after: Severity | null
  change: ChangeKind
  /** Figures of the check whose value differs, before and after. */
  figures: { name: string; before: number | null; after: number | null }[]
}

export interface ReportChanges {
  previousId: string
  previousAt: string
  /** Every check of either report, worst change first. */
  findings: FindingChange[]
  counts: Record<ChangeKind, number>
}

const RANK: Readonly<Record<Severity, number>> = { ok: 0, info: 1, warning: 2, problem: 3 }
const ORDER: readonly ChangeKind[] = ['worse', 'new', 'better', 'resolved', 'same']

function kindOf(before: Finding | undefined, after: Finding | undefined): ChangeKind {
  if (before === undefined) return after !== undefined && RANK[after.severity] <= 1 ? 'same' : 'new'
  if (after === undefined) return 'resolved'
  const delta = RANK[after.severity] - RANK[before.severity]
  return delta > 0 ? 'worse' : delta < 0 ? 'better' : 'same'
}

/** A check may appear more than once (per purpose, per key): the worst one speaks for it. */
function byCheck(findings: readonly Finding[]): Map<string, Finding> {
  const out = new Map<string, Finding>()
  for (const f of findings) {
    const seen = out.get(f.check)
    if (seen === undefined || RANK[f.severity] > RANK[seen.severity]) out.set(f.check, f)
  }
  return out
}

function figureChanges(before: Finding | undefined, after: Finding | undefined) {
  const names = new Set([
    ...Object.keys(before?.figures ?? {}),
    ...Object.keys(after?.figures ?? {}),
  ])
  return [...names]
    .map((name) => ({
      name,
      before: before?.figures?.[name] ?? null,
      after: after?.figures?.[name] ?? null,
    }))
    .filter((f) => f.before !== f.after)
}

/**
 * The change from `previous` to `latest`.
 *
 * @example compareReports(latest, previous).counts.worse // checks whose severity went up
 */
export function compareReports(latest: AuditReport, previous: AuditReport): ReportChanges {
  const before = byCheck(previous.findings)
  const after = byCheck(latest.findings)
  const checks = [...new Set([...after.keys(), ...before.keys()])]
  const findings = checks.map((check): FindingChange => {
    const b = before.get(check)
    const a = after.get(check)
    const shown = (a ?? b)!
    return {
      check,
      area: shown.area,
      title: shown.title,
      before: b?.severity ?? null,
      after: a?.severity ?? null,
      change: kindOf(b, a),
      figures: figureChanges(b, a),
    }
  })
  findings.sort(
    (x, y) => ORDER.indexOf(x.change) - ORDER.indexOf(y.change) || x.check.localeCompare(y.check),
  )
  const counts: Record<ChangeKind, number> = { new: 0, resolved: 0, worse: 0, better: 0, same: 0 }
  for (const f of findings) counts[f.change] += 1
  return { previousId: previous.id, previousAt: previous.createdAt, findings, counts }
}
