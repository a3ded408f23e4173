/**
 * `candor charter check FILE` without the CLI: validate a charter and describe the outcome, for a command
 * (or a start-up log) to print.
 */
import type { Charter } from './charter.js'
import { charterVersion } from './charter.notice.js'
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

/**
 * Human-readable lines, one per issue, in the `file:line:column` form editors link to.
 *
 * @example
 *   candor.charter.yaml:42:7  retention_missing  every purpose says how many days its data is kept ...
 */
export function formatCharterCheck(check: CharterCheck): string {
  if (check.ok) {
    const purposes = Object.keys(check.charter.purposes).length
    return `${check.source}: valid (${purposes} purposes, notice version ${check.version.slice(0, 12)})`
  }
  const lines = check.issues.map(
    (i) => `${check.source}:${i.line}:${i.column}  ${i.rule}  ${i.reason}`,
  )
  return [
    ...lines,
    `${check.source}: ${check.issues.length} ${check.issues.length === 1 ? 'problem' : 'problems'}`,
  ].join('\n')
}
