import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { AppError } from '../../lib/errors.js'
import {
  charterIssuesOf,
  checkCharterFile,
  checkCharterText,
  formatCharterCheck,
  loadCharterFile,
  parseCharter,
  type CharterIssue,
} from './index.js'

const EXAMPLE_PATH = fileURLToPath(new URL('../../../candor.charter.yaml', import.meta.url))
const EXAMPLE = readFileSync(EXAMPLE_PATH, 'utf8')

/** Replace one exact snippet (which must occur once) in the example charter. */
function edit(text: string, from: string, to: string): string {
  expect(text.split(from).length, `snippet must occur once: ${from}`).toBe(2)
  return text.replace(from, to)
}

/** 1-based line of the only line containing `marker`. */
function lineOf(text: string, marker: string): number {
  const lines = text.split('\n')
  const hits = lines.flatMap((l, i) => (l.includes(marker) ? [i + 1] : []))
  expect(hits, `marker must be on one line: ${marker}`).toHaveLength(1)
  return hits[0]!
}

function issuesOf(text: string): CharterIssue[] {
  try {
    parseCharter(text, { source: 'test.yaml' })
  } catch (error) {
    expect(error).toBeInstanceOf(AppError)
    expect((error as AppError).code).toBe('charter_invalid')
    return charterIssuesOf(error)
  }
  throw new Error('expected the charter to be refused')
}

function expectIssue(text: string, rule: string, marker: string): CharterIssue {
  const issues = issuesOf(text)
  const found = issues.find((i) => i.rule === rule)
  expect(found, `expected rule ${rule}, got ${JSON.stringify(issues)}`).toBeDefined()
  expect(found!.line).toBe(lineOf(text, marker))
  expect(found!.column).toBeGreaterThan(0)
  expect(found!.reason.length).toBeGreaterThan(10)
  return found!
}

describe('the example charter', () => {
  it('passes candor charter check', async () => {
    const check = await checkCharterFile(EXAMPLE_PATH)
    expect(check.ok).toBe(true)
    expect(formatCharterCheck(check)).toMatch(/valid \(10 purposes, notice version [0-9a-f]{12}\)/)
    // What statistics read, with which budget, and who may use the clean room.
    expect(formatCharterCheck(check)).toContain('statistics from: analytics.reporting')
    expect(formatCharterCheck(check)).toContain('analyst budget: rho 2 per 30 days')
    expect(formatCharterCheck(check)).toContain(
      'clean room analytics.clean_room: partners retail-media',
    )
  })

  it('declares the purposes, jurisdictions and vendors the demo shop needs', async () => {
    const charter = await loadCharterFile(EXAMPLE_PATH)
    expect(charter.controller).toMatchObject({
      name: 'Demo Giftware Ltd',
      contact: 'privacy@demo-giftware.example',
    })
    expect(Object.keys(charter.jurisdictions).sort()).toEqual(['EU', 'UK', 'US-CA', 'default'])
    expect(Object.keys(charter.purposes)).toEqual(
      expect.arrayContaining([
        'essential.service',
        'personalize.session',
        'personalize.recommendations',
        'analytics.reporting',
        'marketing.advertising.first_party',
        'marketing.advertising.third_party',
      ]),
    )
    expect(charter.purposes['marketing.advertising.third_party']?.saleOrSharing).toBe(true)
    expect(charter.purposes['personalize.recommendations']?.legalBasis).toBe('consent')
  })

  it('is frozen, so no caller can change policy at run time', () => {
    const charter = parseCharter(EXAMPLE)
    expect(Object.isFrozen(charter)).toBe(true)
    expect(Object.isFrozen(charter.purposes['essential.service']?.dataCategories)).toBe(true)
  })
})

describe('an invalid charter is refused with the line and the rule broken', () => {
  it('unknown data category, with a suggestion', () => {
    const text = edit(EXAMPLE, '      - user.contact.email\n', '      - user.contact.emial\n')
    const issue = expectIssue(text, 'unknown_data_category', 'user.contact.emial')
    expect(issue.reason).toContain('did you mean "user.contact.email"')
    expect(issue.field).toBe('purposes["marketing.advertising.first_party"].dataCategories[1]')
  })

  it('special-category data is refused as such', () => {
    const text = edit(EXAMPLE, '      - user.contact.email\n', '      - user.health_and_medical\n')
    expectIssue(text, 'special_category_processed', 'user.health_and_medical')
  })

  it('purpose without a legal basis', () => {
    const text = edit(
      EXAMPLE,
      '    title: Counting what sells\n',
      '    title: Counting what sells # marker\n',
    ).replace(/(analytics\.reporting:[\s\S]*?) {4}legalBasis: legitimate_interest\n/, '$1')
    expectIssue(text, 'legal_basis_missing', '  analytics.reporting:')
  })

  it('retention missing', () => {
    const text = edit(EXAMPLE, '    retentionDays: 90\n', '')
    expectIssue(text, 'retention_missing', '  marketing.advertising.third_party:')
  })

  it('vendor given an undeclared purpose', () => {
    const text = edit(
      EXAMPLE,
      'purposes: [marketing.advertising.third_party]',
      'purposes: [marketing.advertising.thirdparty]',
    )
    const issue = expectIssue(text, 'vendor_purpose_undeclared', 'marketing.advertising.thirdparty')
    expect(issue.reason).toContain('ad-network')
  })

  it('consent-based purpose that defaults to opt-out', () => {
    const text = EXAMPLE.replace(
      /(marketing\.advertising\.third_party:[\s\S]*?)US-CA: opt_in/,
      '$1US-CA: opt_out # here',
    )
    expectIssue(text, 'consent_purpose_opts_out', 'US-CA: opt_out # here')
  })

  it('opt-out where consent is required', () => {
    const text = EXAMPLE.replace(
      /(analytics\.reporting:[\s\S]*?)UK: opt_in/,
      '$1UK: opt_out # here',
    )
    expectIssue(text, 'opt_out_where_consent_required', 'UK: opt_out # here')
  })

  it('opt-out reached through the purpose default where consent is required', () => {
    const text = EXAMPLE.replace(/(analytics\.reporting:[\s\S]*?) {6}UK: opt_in\n/, '$1').replace(
      /(analytics\.reporting:[\s\S]*?)default: opt_in/,
      '$1default: opt_out # here',
    )
    const issues = issuesOf(text).filter((i) => i.rule === 'opt_out_where_consent_required')
    expect(issues.length).toBeGreaterThan(0)
    expect(issues.every((i) => i.line === lineOf(text, 'default: opt_out # here'))).toBe(true)
  })

  it('undeclared jurisdiction in a default', () => {
    const text = EXAMPLE.replace(
      /(analytics\.reporting:[\s\S]*?)US-CA: opt_out/,
      '$1US-TX: opt_out',
    )
    expectIssue(text, 'undeclared_jurisdiction', 'US-TX: opt_out')
  })

  it('unknown field, pointing at the key', () => {
    const text = edit(
      EXAMPLE,
      '    retentionDays: 395\n',
      '    retentionDays: 395\n    retension: 30\n',
    )
    const issue = expectIssue(text, 'unknown_field', 'retension: 30')
    expect(issue.column).toBe(5)
  })

  it('an event field that the event type does not have', () => {
    const text = edit(
      EXAMPLE,
      '      view: [item, timestamp]\n      purchase: [item, quantity, price, currency, timestamp]\n',
      '      view: [item, price]\n      purchase: [item, quantity, price, currency, timestamp]\n',
    )
    expectIssue(text, 'unknown_event_field', 'view: [item, price]')
  })

  it('an unknown event type', () => {
    const text = edit(
      EXAMPLE,
      '      view: [item, timestamp]\n      purchase: [item, quantity, price, currency, timestamp]\n',
      '      wishlist: [item]\n      purchase: [item, quantity, price, currency, timestamp]\n',
    )
    expectIssue(text, 'unknown_event_type', 'wishlist: [item]')
  })

  it('events whose data category the purpose does not declare', () => {
    const text = edit(
      EXAMPLE,
      '    events:\n      purchase: [item, timestamp]\n',
      '    events:\n      search: [query]\n',
    )
    expectIssue(text, 'event_category_not_declared', 'search: [query]')
  })

  it('history-based personalization not based on consent', () => {
    const text = EXAMPLE.replace(
      /(personalize\.recommendations:[\s\S]*?)legalBasis: consent/,
      '$1legalBasis: legitimate_interest # here',
    )
    expectIssue(text, 'personal_needs_consent', 'legitimate_interest # here')
  })

  it('a contract purpose with defaults', () => {
    const text = edit(
      EXAMPLE,
      '    retentionDays: 2190\n',
      '    retentionDays: 2190\n    defaults: { UK: opt_in }\n',
    )
    expectIssue(text, 'contract_purpose_has_defaults', 'defaults: { UK: opt_in }')
  })

  it('TCF purposes 1 and 3-6 on legitimate interest', () => {
    const text = edit(EXAMPLE, 'tcfPurposes: [8, 9]', 'tcfPurposes: [1, 8]')
    expectIssue(text, 'tcf_purpose_needs_consent', 'tcfPurposes: [1, 8]')
  })

  it('a special category of Article 9 left out', () => {
    const text = edit(EXAMPLE, '  - religion\n', '')
    expectIssue(text, 'special_category_missing', 'specialCategories:')
  })

  it('a special category unlocked by a purpose not based on consent, or not listed', () => {
    const purpose = 'personalize.special.health:'
    const basis = edit(
      EXAMPLE,
      `    legalBasis: consent
    specialCategory: health`,
      `    legalBasis: legitimate_interest
    specialCategory: health`,
    )
    const found = issuesOf(basis).find((i) => i.rule === 'special_category_needs_consent')
    expect(found, JSON.stringify(issuesOf(basis))).toBeDefined()
    expect(found!.line).toBe(lineOf(basis, purpose) + 5)
    const unlisted = edit(EXAMPLE, '  - ethnicity\n', '')
    expect(
      issuesOf(edit(unlisted, 'specialCategory: health', 'specialCategory: ethnicity')),
    ).toEqual(
      expect.arrayContaining([expect.objectContaining({ rule: 'special_category_not_listed' })]),
    )
    expectIssue(
      edit(EXAMPLE, 'specialCategory: health', 'specialCategory: wealth'),
      'unknown_special_category',
      'specialCategory: wealth',
    )
  })

  it('legalese in a benefit', () => {
    const text = edit(
      EXAMPLE,
      'This helps us stock better gifts.',
      'This helps us stock better gifts pursuant to our aims.',
    )
    // A multi-line text is reported where it starts: the line of its key.
    const issue = issuesOf(text).find((i) => i.rule === 'not_plain_language')
    expect(issue?.line).toBe(lineOf(text, 'Counting what sells') + 1)
    expect(issue?.reason).toContain('pursuant')
  })

  it('a YAML syntax error', () => {
    const text = edit(EXAMPLE, '  address: 1 Example Street', '  address: [1 Example Street')
    const issues = issuesOf(text)
    expect(issues[0]?.rule).toBe('yaml_syntax')
  })

  it('a clean-room purpose not based on consent, or without the e-mail address it matches on', () => {
    const basis = EXAMPLE.replace(
      /(analytics\.clean_room:[\s\S]*?)legalBasis: consent/,
      '$1legalBasis: legitimate_interest # clean',
    )
    expectIssue(basis, 'clean_room_needs_consent', 'legitimate_interest # clean')
    const noEmail = edit(
      EXAMPLE,
      'dataCategories: [user.contact.email, user.behavior.purchase_history]',
      'dataCategories: [user.behavior.purchase_history]',
    )
    const found = issuesOf(noEmail).find((i) => i.rule === 'clean_room_needs_email')
    expect(found?.line).toBe(lineOf(noEmail, 'dataCategories: [user.behavior.purchase_history]'))
  })

  it('a clean-room purpose without the clean-room terms under insights', () => {
    const noTerms = edit(
      EXAMPLE,
      '  cleanRoom:\n    retentionDays: 30\n    minGroupSize: 20\n    budget: { rho: 1, perDays: 30 }\n',
      '',
    )
    expectIssue(noTerms, 'clean_room_terms_missing', 'insights:')
    const noInsights = noTerms.replace(/\ninsights:[\s\S]*?\n(?=\S)/, '\n')
    expect(noInsights).not.toContain('\ninsights:')
    expectIssue(noInsights, 'clean_room_terms_missing', '    cleanRoom: true')
  })

  it('insights bounds and budgets out of range', () => {
    expectIssue(
      edit(EXAMPLE, 'quantity: [0, 24]', 'quantity: [24, 0]'),
      'invalid_value',
      'quantity: [24, 0]',
    )
    const issues = issuesOf(
      edit(EXAMPLE, 'budget: { rho: 2, perDays: 30 }', 'budget: { rho: 0, perDays: 30 }'),
    )
    expect(issues.map((i) => i.path.join('.'))).toContain('insights.budget.rho')
  })

  it('duplicate keys', () => {
    const text = edit(
      EXAMPLE,
      '    retentionDays: 395\n',
      '    retentionDays: 395\n    retentionDays: 33\n',
    )
    expectIssue(text, 'yaml_syntax', 'retentionDays: 33')
  })

  it('an empty file', () => {
    expect(issuesOf('').map((i) => i.rule)).toContain('required_field_missing')
  })

  it('a missing file', async () => {
    const check = await checkCharterFile('/nonexistent/candor.charter.yaml')
    expect(check.ok).toBe(false)
    expect(!check.ok && check.issues[0]?.rule).toBe('file_unreadable')
  })

  it('reports several problems at once, in line order, in the error message too', () => {
    const text = edit(
      edit(EXAMPLE, '    retentionDays: 90\n', ''),
      '      - user.contact.email\n',
      '      - user.contact.emial\n',
    )
    const check = checkCharterText(text, 'x.yaml')
    expect(check.ok).toBe(false)
    if (check.ok) return
    expect(check.issues.map((i) => i.rule)).toEqual(['unknown_data_category', 'retention_missing'])
    expect(formatCharterCheck(check)).toContain(`x.yaml:${lineOf(text, 'user.contact.emial')}:`)
    try {
      parseCharter(text, { source: 'x.yaml' })
    } catch (error) {
      expect((error as Error).message).toContain(`x.yaml:${lineOf(text, 'user.contact.emial')}:`)
    }
  })
})

describe('properties', () => {
  const purposeKeys = Object.keys(parseCharter(EXAMPLE).purposes)
  const required = ['title', 'benefit', 'legalBasis', 'dataCategories', 'retentionDays'] as const

  it('removing any required field of any purpose is refused at that purpose', () => {
    fc.assert(
      fc.property(fc.constantFrom(...purposeKeys), fc.constantFrom(...required), (key, field) => {
        const lines = EXAMPLE.split('\n')
        const start = lines.indexOf(`  ${key}:`)
        let end = lines.findIndex((l, i) => i > start && /^ {2}\S/.test(l))
        if (end === -1) end = lines.length
        // Drop the field line and its continuation lines (deeper indentation).
        const at = lines.findIndex((l, i) => i > start && i < end && l.startsWith(`    ${field}:`))
        let stop = at + 1
        while (stop < end && /^ {5,}|^ {4}- /.test(lines[stop]!)) stop++
        const text = [...lines.slice(0, at), ...lines.slice(stop)].join('\n')
        const issues = issuesOf(text)
        expect(
          issues.some((i) => i.line === start + 1 && i.path[1] === key && i.path[2] === field),
        ).toBe(true)
      }),
    )
  })

  it('an unknown data category anywhere is reported on its own line', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...purposeKeys),
        fc.stringMatching(/^user\.[a-z]{3,8}\.[a-z_]{3,10}$/),
        (key, category) => {
          fc.pre(!parseCharter(EXAMPLE).purposes[key]!.dataCategories.includes(category as never))
          fc.pre(
            !/^user\.(behavior|contact|device|location|unique_id|account|demographic)\./.test(
              category,
            ),
          )
          const text = EXAMPLE.replace(`  ${key}:\n`, `  ${key}:\n`).replace(
            new RegExp(`(  ${key.replaceAll('.', '\\.')}:[\\s\\S]*?    dataCategories:\\n)`),
            `$1      - ${category}\n`,
          )
          const issue = issuesOf(text).find((i) => i.rule === 'unknown_data_category')
          expect(issue?.line).toBe(lineOf(text, `- ${category}`))
        },
      ),
    )
  })
})
