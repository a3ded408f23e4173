/**
 * Reading a charter: YAML text -> a validated, frozen `Charter`, or an `AppError('charter_invalid')` whose
 * issues each name the line, column, path and the rule broken, in plain words.
 */
import { readFile } from 'node:fs/promises'
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml'
import type { z } from 'zod'
import { AppError, type FieldIssue } from '../../lib/errors.js'
import { CharterSchema, DATA_CATEGORY_KEYS, EVENT_TYPES, type Charter } from './charter.js'
import {
  checkCharterRules,
  isSpecialDataCategory,
  type CharterPath,
  type CharterProblem,
} from './charter.rules.js'

/** One broken rule, located in the charter file. `field` and `reason` make it a `FieldIssue` as well. */
export interface CharterIssue extends FieldIssue {
  /** 1-based line and column in the source text. */
  line: number
  column: number
  path: CharterPath
  /** Stable id of the rule broken, such as `unknown_data_category` or `retention_missing`. */
  rule: string
}

export interface ParseCharterOptions {
  /** Where the text came from, used in messages (a file path, say). */
  source?: string
}

type Located = { line: number; col: number }

/** Write a path the way a person reads it: `purposes["analytics.reporting"].retentionDays`. */
export function formatCharterPath(path: CharterPath): string {
  let out = ''
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(segment)) out += out === '' ? segment : `.${segment}`
    else out += `[${JSON.stringify(segment)}]`
  }
  return out === '' ? '(top level)' : out
}

/**
 * Find the line and column of the value at `path` (or of its key, with `atKey`). When the path goes past
 * what the document holds (a missing field), point at the deepest thing that exists: the key of the object
 * that lacks the field.
 */
function locate(doc: Document, counter: LineCounter, path: CharterPath, atKey: boolean): Located {
  let node: unknown = doc.contents
  let offset = doc.contents?.range?.[0] ?? 0
  let keyOffset: number | undefined
  for (const [i, segment] of path.entries()) {
    const last = i === path.length - 1
    let next: unknown
    if (isMap(node)) {
      const pair = node.items.find(
        (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment),
      )
      if (pair !== undefined) {
        keyOffset = isScalar(pair.key) ? pair.key.range?.[0] : undefined
        next = pair.value
        if (last && atKey && keyOffset !== undefined) return counter.linePos(keyOffset)
      }
    } else if (isSeq(node) && typeof segment === 'number') {
      next = node.items[segment]
      keyOffset = undefined
    }
    if (next === undefined || next === null) {
      // Missing: point at the key that owns the object lacking this field, or at the object itself.
      return counter.linePos(keyOffset ?? offset)
    }
    node = next
    const range = (next as { range?: [number, number, number] }).range
    if (range !== undefined) offset = range[0]
  }
  return counter.linePos(offset)
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root
  for (const segment of path) {
    if (value === null || typeof value !== 'object') return undefined
    value = (value as Record<PropertyKey, unknown>)[segment]
  }
  return value
}

const MISSING: Record<string, { rule: string; reason: string }> = {
  retentionDays: {
    rule: 'retention_missing',
    reason:
      'every purpose says how many days its data is kept (retentionDays; 0 = deleted when the visit ends)',
  },
  legalBasis: {
    rule: 'legal_basis_missing',
    reason: 'every purpose needs a legal basis: consent, contract or legitimate_interest',
  },
  dataCategories: {
    rule: 'data_categories_missing',
    reason: 'every purpose lists the data categories it needs',
  },
  title: { rule: 'title_missing', reason: 'give this a short, plain title' },
  benefit: {
    rule: 'benefit_missing',
    reason: 'say in plain words what the shopper gets from this purpose',
  },
  purposes: { rule: 'vendor_purposes_missing', reason: 'list the purposes this may receive' },
}

/** Turn one zod issue into charter problems with a rule name a privacy officer can act on. */
function problemsFromZodIssue(issue: z.core.$ZodIssue, raw: unknown): CharterProblem[] {
  const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))
  const field = String(path.at(-1) ?? '')
  const parentField = String(path.at(-2) ?? '')
  const input = valueAt(raw, issue.path)
  if (input === undefined && (issue.code === 'invalid_type' || issue.code === 'invalid_value')) {
    const known = MISSING[field]
    return [
      {
        path,
        rule: known?.rule ?? 'required_field_missing',
        reason: known?.reason ?? `"${field}" is required here`,
      },
    ]
  }
  switch (issue.code) {
    case 'unrecognized_keys':
      if (field === 'events') {
        return issue.keys.map((key) => ({
          path: [...path, key],
          atKey: true,
          rule: 'unknown_event_type',
          reason: `"${key}" is not an event type; use ${EVENT_TYPES.join(', ')}`,
        }))
      }
      return issue.keys.map((key) => ({
        path: [...path, key],
        atKey: true,
        rule: 'unknown_field',
        reason: `"${key}" is not a field Candor knows here; check its spelling and indentation`,
      }))
    case 'invalid_type':
      return [
        {
          path,
          rule: 'wrong_type',
          reason: `expected ${issue.expected}, found ${describe(input)}`,
        },
      ]
    case 'invalid_value':
      return [invalidValueProblem(path, input, issue.values)]
    case 'invalid_key': {
      if (parentField === 'events') {
        return [
          {
            path,
            atKey: true,
            rule: 'unknown_event_type',
            reason: `"${field}" is not an event type; use ${EVENT_TYPES.join(', ')}`,
          },
        ]
      }
      const nested = issue.issues.map((i) => i.message).join('; ')
      return [
        {
          path,
          atKey: true,
          rule: 'invalid_key',
          reason: `"${field}" is not a valid key: ${nested}`,
        },
      ]
    }
    default:
      return [{ path, rule: 'invalid_value', reason: issue.message }]
  }
}

/** A value outside its allowed set, named by where it stands (data category, legal basis, ...). */
function invalidValueProblem(
  path: CharterPath,
  input: unknown,
  values: readonly unknown[],
): CharterProblem {
  const field = String(path.at(-1) ?? '')
  const parentField = String(path.at(-2) ?? '')
  if (parentField === 'dataCategories' || field === 'dataCategories') {
    return isSpecialDataCategory(input)
      ? {
          path,
          rule: 'special_category_processed',
          reason: `"${String(input)}" is special-category data; Candor never processes it`,
        }
      : {
          path,
          rule: 'unknown_data_category',
          reason: `"${String(input)}" is not a known data category; ${suggest(String(input), DATA_CATEGORY_KEYS)}`,
        }
  }
  if (field === 'legalBasis') {
    return {
      path,
      rule: 'unknown_legal_basis',
      reason: `"${String(input)}" is not a legal basis; use consent, contract or legitimate_interest`,
    }
  }
  const allowed = values.map(String).join(', ')
  if (parentField === 'specialCategories' || field === 'specialCategory') {
    return {
      path,
      rule: 'unknown_special_category',
      reason: `"${String(input)}" is not a known special category; use one of ${allowed}`,
    }
  }
  if (path.at(-3) === 'events') {
    return {
      path,
      rule: 'unknown_event_field',
      reason: `"${String(input)}" is not an event field; use one of ${allowed}`,
    }
  }
  return {
    path,
    rule: 'invalid_value',
    reason: `"${String(input)}" is not allowed; use one of ${allowed}`,
  }
}

/** "did you mean X?" for a near miss, else the whole list. */
function suggest(input: string, known: readonly string[]): string {
  let best: string | undefined
  let bestDistance = Infinity
  for (const candidate of known) {
    const d = editDistance(input, candidate)
    if (d < bestDistance) [best, bestDistance] = [candidate, d]
  }
  return best !== undefined && bestDistance <= 3
    ? `did you mean "${best}"?`
    : `use one of ${known.join(', ')}`
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      current[j] = Math.min(
        (previous[j] ?? 0) + 1,
        (current[j - 1] ?? 0) + 1,
        (previous[j - 1] ?? 0) + cost,
      )
    }
    previous = current
  }
  return previous[b.length] ?? 0
}

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'object') return 'a map'
  return `${typeof value} ${JSON.stringify(value)}`
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const child of Object.values(value)) deepFreeze(child)
  }
  return value
}

function fail(source: string, issues: CharterIssue[]): never {
  const first = issues
    .slice(0, 5)
    .map((i) => `${source}:${i.line}:${i.column} ${i.rule}: ${i.reason}`)
    .join('\n')
  const more = issues.length > 5 ? `\n... and ${issues.length - 5} more` : ''
  throw new AppError(
    'charter_invalid',
    `The data charter ${source} is not valid:\n${first}${more}`,
    {
      details: { source, issueCount: issues.length },
      issues,
    },
  )
}

/**
 * Parse and validate charter YAML. Runs the YAML parser, the zod schema, then the cross-field rules, and
 * reports every problem found at the furthest stage reached, each located by line and column.
 *
 * @example
 *   const charter = parseCharter(await readFile('candor.charter.yaml', 'utf8'), { source: 'candor.charter.yaml' })
 * @throws AppError('charter_invalid') with `issues: CharterIssue[]`
 */
export function parseCharter(text: string, options: ParseCharterOptions = {}): Charter {
  const source = options.source ?? 'charter'
  const counter = new LineCounter()
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true })
  if (doc.errors.length > 0) {
    fail(
      source,
      doc.errors.map((e) => {
        const pos = e.linePos?.[0] ?? counter.linePos(e.pos[0])
        return {
          line: pos.line,
          column: pos.col,
          path: [],
          field: '(yaml)',
          rule: 'yaml_syntax',
          reason: e.message.split('\n')[0] ?? e.message,
        }
      }),
    )
  }
  const raw: unknown = doc.toJS({ maxAliasCount: 100 })
  const toIssue = (p: CharterProblem): CharterIssue => {
    const pos = locate(doc, counter, p.path, p.atKey ?? false)
    return {
      line: pos.line,
      column: pos.col,
      path: p.path,
      field: formatCharterPath(p.path),
      rule: p.rule,
      reason: p.reason,
    }
  }
  const parsed = CharterSchema.safeParse(raw ?? {}, { reportInput: true })
  if (!parsed.success) {
    fail(
      source,
      sortIssues(parsed.error.issues.flatMap((i) => problemsFromZodIssue(i, raw)).map(toIssue)),
    )
  }
  const problems = checkCharterRules(parsed.data)
  if (problems.length > 0) fail(source, sortIssues(problems.map(toIssue)))
  return deepFreeze(parsed.data)
}

function sortIssues(issues: CharterIssue[]): CharterIssue[] {
  return issues.sort((a, b) => a.line - b.line || a.column - b.column)
}

/**
 * Read and parse a charter file. A missing or unreadable file is a `charter_invalid` error too, so start-up
 * and `candor charter check` report it the same way.
 */
export async function loadCharterFile(path: string): Promise<Charter> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (cause) {
    const code = (cause as { code?: unknown }).code
    const reason = code === 'ENOENT' ? 'no file at this path' : 'the file cannot be read'
    const fileIssue: CharterIssue = {
      field: '(file)',
      reason,
      line: 0,
      column: 0,
      path: [],
      rule: 'file_unreadable',
    }
    throw new AppError('charter_invalid', `The data charter ${path} cannot be read: ${reason}`, {
      details: { source: path },
      issues: [fileIssue],
      cause,
    })
  }
  return parseCharter(text, { source: path })
}

/** The charter issues carried by an error from `parseCharter` or `loadCharterFile`, or none. */
export function charterIssuesOf(error: unknown): CharterIssue[] {
  if (!(error instanceof AppError) || error.code !== 'charter_invalid') return []
  return (error.issues ?? []).filter((i): i is CharterIssue => 'rule' in i && 'line' in i)
}
