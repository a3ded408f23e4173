/**
 * The charter rules that need the whole document. Each returns problems with the path of the offending value,
 * so the parser can point at its line.
 *
 * The consent rule at the heart of it: with no record, a purpose based on consent is denied everywhere. So a
 * consent-based purpose may only default to `opt_in`; `opt_out` is for purposes on another basis
 * (legitimate interest) in jurisdictions whose law allows processing until the shopper objects (US-CA). In a
 * jurisdiction where consent is required (EU, UK), every purpose that is not strictly necessary opts in.
 */
import {
  EVENT_CATEGORY,
  EVENT_FIELDS,
  PURPOSE_ROOTS,
  REQUIRED_PURPOSES,
  REQUIRED_SPECIAL_CATEGORIES,
  SPECIAL_DATA_CATEGORY_KEYS,
  type Charter,
  type DataCategory,
  type DefaultChoice,
  type EventType,
  type Purpose,
  type Vendor,
} from './charter.js'
import { checkVendorSharing } from './charter.vendors.js'
import { checkFederatedPurpose } from './charter.federated.js'

export type CharterPath = (string | number)[]

/** A broken rule before it has a line: where it is and what is wrong, in plain words. */
export interface CharterProblem {
  path: CharterPath
  rule: string
  reason: string
  /** Point at the key of the last path segment rather than its value (for map keys). */
  atKey?: boolean
}

/** Words that make a notice read like a contract. */
const LEGALESE = [
  'hereinafter',
  'herein',
  'hereby',
  'thereof',
  'whereas',
  'pursuant',
  'notwithstanding',
  'aforementioned',
  'aforesaid',
  'heretofore',
  'in accordance with',
  'data subject',
  'processing operations',
  'shall',
]
const MAX_SENTENCE_WORDS = 25

/** Resolve the default choice of a purpose in a jurisdiction: its own entry, then its `default`, then opt_in. */
export function resolveDefault(purpose: Purpose, jurisdiction: string): DefaultChoice {
  return purpose.defaults?.[jurisdiction] ?? purpose.defaults?.['default'] ?? 'opt_in'
}

function plainLanguageProblems(value: string, path: CharterPath): CharterProblem[] {
  const problems: CharterProblem[] = []
  const lower = value.toLowerCase()
  for (const word of LEGALESE) {
    if (new RegExp(`\\b${word}\\b`).test(lower)) {
      problems.push({
        path,
        rule: 'not_plain_language',
        reason: `"${word}" is legalese; say it in everyday words`,
      })
    }
  }
  for (const sentence of value.split(/[.!?]+\s*/)) {
    const words = sentence.split(/\s+/).filter((w) => w.length > 0).length
    if (words > MAX_SENTENCE_WORDS) {
      problems.push({
        path,
        rule: 'not_plain_language',
        reason: `a sentence has ${words} words; keep sentences to ${MAX_SENTENCE_WORDS} words or fewer`,
      })
    }
  }
  return problems
}

function duplicates<T>(values: readonly T[]): number[] {
  const seen = new Set<T>()
  const out: number[] = []
  values.forEach((v, i) => {
    if (seen.has(v)) out.push(i)
    seen.add(v)
  })
  return out
}

type At = (...rest: CharterPath) => CharterPath

function checkPurpose(charter: Charter, key: string, purpose: Purpose): CharterProblem[] {
  const at: At = (...rest) => ['purposes', key, ...rest]
  return [
    ...checkPurposeNaming(key, purpose, at),
    ...(purpose.legalBasis === 'contract'
      ? checkContractPurpose(purpose, at)
      : checkChoicePurpose(charter, purpose, at)),
    ...checkSpecialCategoryPurpose(charter, purpose, at),
    ...checkPurposeEvents(purpose, at),
    ...checkCleanRoomPurpose(purpose, at),
    ...checkFederatedPurpose(charter, key, purpose, at),
  ]
}

/**
 * A clean-room purpose lets a partner match its customers by e-mail address against the shop's: only
 * with the shopper's yes, and only if the purpose declares the address it matches on.
 */
function checkCleanRoomPurpose(purpose: Purpose, at: At): CharterProblem[] {
  if (purpose.cleanRoom !== true) return []
  const problems: CharterProblem[] = []
  if (purpose.legalBasis !== 'consent') {
    problems.push({
      path: at('legalBasis'),
      rule: 'clean_room_needs_consent',
      reason:
        "matching a shopper with a partner's customers needs the shopper's yes; set legalBasis to consent",
    })
  }
  if (!purpose.dataCategories.includes('user.contact.email')) {
    problems.push({
      path: at('dataCategories'),
      atKey: true,
      rule: 'clean_room_needs_email',
      reason:
        'a clean-room purpose matches on e-mail addresses, so it must declare user.contact.email',
    })
  }
  return problems
}

/** The insights section: present when a clean-room purpose needs its terms. */
function checkInsights(charter: Charter): CharterProblem[] {
  const cleanRoom = Object.entries(charter.purposes).filter(([, p]) => p.cleanRoom === true)
  const first = cleanRoom[0]
  if (first === undefined) return []
  if (charter.insights === undefined) {
    return [
      {
        path: ['purposes', first[0], 'cleanRoom'],
        rule: 'clean_room_terms_missing',
        reason:
          'a clean-room purpose needs an `insights` section with `cleanRoom` (retentionDays, minGroupSize, budget)',
      },
    ]
  }
  if (charter.insights.cleanRoom === undefined) {
    return [
      {
        path: ['insights'],
        atKey: true,
        rule: 'clean_room_terms_missing',
        reason: `purpose "${first[0]}" is a clean-room purpose, so \`insights\` needs \`cleanRoom\` (retentionDays, minGroupSize, budget)`,
      },
    ]
  }
  return []
}

/** Its key, its words, and no entry listed twice. */
function checkPurposeNaming(key: string, purpose: Purpose, at: At): CharterProblem[] {
  const problems: CharterProblem[] = []
  const root = key.split('.')[0] ?? ''
  if (!(PURPOSE_ROOTS as readonly string[]).includes(root)) {
    problems.push({
      path: at(),
      atKey: true,
      rule: 'unknown_purpose_group',
      reason: `purpose "${key}" must start with one of the fideslang groups: ${PURPOSE_ROOTS.join(', ')}`,
    })
  }
  problems.push(...plainLanguageProblems(purpose.title, at('title')))
  problems.push(...plainLanguageProblems(purpose.benefit, at('benefit')))
  for (const i of duplicates(purpose.dataCategories)) {
    problems.push({
      path: at('dataCategories', i),
      rule: 'duplicate_entry',
      reason: 'this data category is listed twice',
    })
  }
  for (const i of duplicates(purpose.tcfPurposes)) {
    problems.push({
      path: at('tcfPurposes', i),
      rule: 'duplicate_entry',
      reason: 'this TCF purpose is listed twice',
    })
  }
  return problems
}

/** A purpose needed to serve the shopper: no defaults, no sale, no TCF mapping. */
function checkContractPurpose(purpose: Purpose, at: At): CharterProblem[] {
  const problems: CharterProblem[] = []
  if (purpose.defaults !== undefined) {
    problems.push({
      path: at('defaults'),
      atKey: true,
      rule: 'contract_purpose_has_defaults',
      reason:
        'a purpose based on contract is needed to serve the shopper, so it has no opt-in or opt-out default; remove `defaults`',
    })
  }
  if (purpose.saleOrSharing) {
    problems.push({
      path: at('saleOrSharing'),
      rule: 'sale_needs_choice',
      reason:
        'selling or sharing data is never needed to serve the shopper; base this purpose on consent',
    })
  }
  if (purpose.tcfPurposes.length > 0) {
    problems.push({
      path: at('tcfPurposes'),
      rule: 'tcf_purpose_needs_choice',
      reason:
        'IAB TCF has no contract basis; only consent or legitimate-interest purposes map to TCF purposes',
    })
  }
  return problems
}

/** Defaults for a consent or legitimate-interest purpose: who may be processed with no record on file. */
function checkChoicePurpose(charter: Charter, purpose: Purpose, at: At): CharterProblem[] {
  const problems: CharterProblem[] = []
  for (const [jurisdiction, choice] of Object.entries(purpose.defaults ?? {})) {
    if (charter.jurisdictions[jurisdiction] === undefined) {
      problems.push({
        path: at('defaults', jurisdiction),
        atKey: true,
        rule: 'undeclared_jurisdiction',
        reason: `jurisdiction "${jurisdiction}" is not declared under \`jurisdictions\``,
      })
    } else if (purpose.legalBasis === 'consent' && choice === 'opt_out') {
      problems.push({
        path: at('defaults', jurisdiction),
        rule: 'consent_purpose_opts_out',
        reason: `a purpose based on consent is denied until the shopper says yes, so it cannot default to opt_out (in ${jurisdiction}); use opt_in, or base it on legitimate_interest if the law there allows opt-out`,
      })
    }
  }
  for (const [jurisdiction, rules] of Object.entries(charter.jurisdictions)) {
    if (!rules.consentRequired || resolveDefault(purpose, jurisdiction) === 'opt_in') continue
    const own = purpose.defaults?.[jurisdiction] !== undefined
    if (purpose.legalBasis === 'consent' && own) continue // already reported above
    problems.push({
      path: own ? at('defaults', jurisdiction) : at('defaults', 'default'),
      rule: 'opt_out_where_consent_required',
      reason: `${jurisdiction} requires consent for anything not strictly necessary, so this purpose must default to opt_in there`,
    })
  }
  if (purpose.legalBasis === 'legitimate_interest') {
    const needsConsent = purpose.tcfPurposes.filter((id) => [1, 3, 4, 5, 6].includes(id))
    if (needsConsent.length > 0) {
      problems.push({
        path: at('tcfPurposes'),
        rule: 'tcf_purpose_needs_consent',
        reason: `IAB TCF purposes 1, 3, 4, 5 and 6 may only rest on consent (found ${needsConsent.join(', ')})`,
      })
    }
  }
  return problems
}

/** A special category only ever on the shopper's explicit yes to exactly this purpose. */
function checkSpecialCategoryPurpose(charter: Charter, purpose: Purpose, at: At): CharterProblem[] {
  const problems: CharterProblem[] = []
  if (purpose.specialCategory !== undefined) {
    if (!charter.specialCategories.includes(purpose.specialCategory)) {
      problems.push({
        path: at('specialCategory'),
        rule: 'special_category_not_listed',
        reason: `"${purpose.specialCategory}" is not listed under \`specialCategories\`; list it there first`,
      })
    }
    if (purpose.legalBasis !== 'consent') {
      problems.push({
        path: at('legalBasis'),
        rule: 'special_category_needs_consent',
        reason:
          'a purpose that uses a special category rests on explicit consent (GDPR Art. 9(2)(a)); use legalBasis: consent',
      })
    }
    if (purpose.tcfPurposes.length > 0 || purpose.saleOrSharing) {
      problems.push({
        path: purpose.tcfPurposes.length > 0 ? at('tcfPurposes') : at('saleOrSharing'),
        rule: 'special_category_bundled',
        reason:
          'a purpose that uses a special category is chosen on its own: no TCF purposes, no sale or sharing',
      })
    }
  }
  return problems
}

/** Events: the fields a purpose keeps must belong to the event type and to a declared data category. */
function checkPurposeEvents(purpose: Purpose, at: At): CharterProblem[] {
  const problems: CharterProblem[] = []
  for (const [type, fields] of Object.entries(purpose.events) as [EventType, string[]][]) {
    const allowed: readonly string[] = EVENT_FIELDS[type]
    fields.forEach((field, i) => {
      if (!allowed.includes(field)) {
        problems.push({
          path: at('events', type, i),
          rule: 'unknown_event_field',
          reason: `a ${type} event has no field "${field}"; its fields are ${allowed.join(', ')}`,
        })
      }
    })
    for (const i of duplicates(fields)) {
      problems.push({
        path: at('events', type, i),
        rule: 'duplicate_entry',
        reason: 'this field is listed twice',
      })
    }
    const category = EVENT_CATEGORY[type]
    if (!purpose.dataCategories.includes(category)) {
      problems.push({
        path: at('events', type),
        atKey: true,
        rule: 'event_category_not_declared',
        reason: `${type} events are ${category} data; add it to this purpose's dataCategories or drop the events`,
      })
    }
  }
  return problems
}

/** Every cross-field rule of the charter, in document order as far as practical. */
export function checkCharterRules(charter: Charter): CharterProblem[] {
  const problems = checkRequiredParts(charter)
  for (const [key, purpose] of Object.entries(charter.purposes)) {
    problems.push(...checkPurpose(charter, key, purpose))
    if (purpose.tcfPurposes.length > 0 && charter.tcf === undefined) {
      problems.push({
        path: ['purposes', key, 'tcfPurposes'],
        rule: 'tcf_settings_missing',
        reason:
          'this purpose maps to IAB TCF purposes, so the charter needs a top-level `tcf` block (cmpId, cmpVersion, publisherCountryCode)',
      })
    }
  }
  problems.push(
    ...checkSpecialCategories(charter),
    ...checkTouchpoints(charter),
    ...checkInsights(charter),
  )
  for (const [key, vendor] of Object.entries(charter.vendors)) {
    problems.push(...checkVendor(charter, key, vendor), ...checkVendorSharing(charter, key, vendor))
  }
  return problems
}

/** The default jurisdiction and the purposes Candor's levels and service stand on, with their bases. */
function checkRequiredParts(charter: Charter): CharterProblem[] {
  const problems: CharterProblem[] = []
  if (charter.jurisdictions['default'] === undefined) {
    problems.push({
      path: ['jurisdictions'],
      atKey: true,
      rule: 'default_jurisdiction_missing',
      reason: 'declare a `default` jurisdiction for shoppers from anywhere not listed',
    })
  }

  for (const [role, key] of Object.entries(REQUIRED_PURPOSES)) {
    if (charter.purposes[key] === undefined) {
      problems.push({
        path: ['purposes'],
        atKey: true,
        rule: 'required_purpose_missing',
        reason: `purpose "${key}" is missing; Candor needs it for the ${role} personalization level or service`,
      })
    }
  }
  const personal = charter.purposes[REQUIRED_PURPOSES.personal]
  if (personal !== undefined && personal.legalBasis !== 'consent') {
    problems.push({
      path: ['purposes', REQUIRED_PURPOSES.personal, 'legalBasis'],
      rule: 'personal_needs_consent',
      reason:
        "history-based personalization needs the shopper's consent; set legalBasis to consent",
    })
  }
  const session = charter.purposes[REQUIRED_PURPOSES.session]
  if (session !== undefined && session.retentionDays !== 0) {
    problems.push({
      path: ['purposes', REQUIRED_PURPOSES.session, 'retentionDays'],
      rule: 'session_data_kept',
      reason: 'session personalization keeps nothing after the visit; set retentionDays to 0',
    })
  }
  const essential = charter.purposes[REQUIRED_PURPOSES.essential]
  if (essential !== undefined && essential.legalBasis !== 'contract') {
    problems.push({
      path: ['purposes', REQUIRED_PURPOSES.essential, 'legalBasis'],
      rule: 'essential_needs_contract',
      reason:
        'essential.service is what the shopper cannot use the shop without; set legalBasis to contract',
    })
  }
  return problems
}

/** The GDPR Article 9 categories are always listed, once each. */
function checkSpecialCategories(charter: Charter): CharterProblem[] {
  const problems: CharterProblem[] = []
  for (const required of REQUIRED_SPECIAL_CATEGORIES) {
    if (!charter.specialCategories.includes(required)) {
      problems.push({
        path: ['specialCategories'],
        atKey: true,
        rule: 'special_category_missing',
        reason: `"${required}" is a special category under GDPR Article 9; list it so it is never inferred`,
      })
    }
  }
  for (const i of duplicates(charter.specialCategories)) {
    problems.push({
      path: ['specialCategories', i],
      rule: 'duplicate_entry',
      reason: 'this special category is listed twice',
    })
  }
  return problems
}

/** A touchpoint names itself plainly and serves only declared purposes. */
function checkTouchpoints(charter: Charter): CharterProblem[] {
  const problems: CharterProblem[] = []
  for (const [key, touchpoint] of Object.entries(charter.touchpoints)) {
    problems.push(...plainLanguageProblems(touchpoint.title, ['touchpoints', key, 'title']))
    touchpoint.purposes.forEach((purpose, i) => {
      if (charter.purposes[purpose] === undefined) {
        problems.push({
          path: ['touchpoints', key, 'purposes', i],
          rule: 'touchpoint_purpose_undeclared',
          reason: `touchpoint "${key}" serves purpose "${purpose}", which is not declared under \`purposes\``,
        })
      }
    })
  }
  return problems
}

/** A vendor gets declared purposes, and only data categories those purposes collect. */
function checkVendor(charter: Charter, key: string, vendor: Vendor): CharterProblem[] {
  const problems: CharterProblem[] = []
  const reachable = new Set<DataCategory>()
  vendor.purposes.forEach((purpose, i) => {
    const declared = charter.purposes[purpose]
    if (declared === undefined) {
      problems.push({
        path: ['vendors', key, 'purposes', i],
        rule: 'vendor_purpose_undeclared',
        reason: `vendor "${key}" is given purpose "${purpose}", which is not declared under \`purposes\``,
      })
    } else {
      declared.dataCategories.forEach((c) => reachable.add(c))
    }
  })
  for (const i of duplicates(vendor.purposes)) {
    problems.push({
      path: ['vendors', key, 'purposes', i],
      rule: 'duplicate_entry',
      reason: 'this purpose is listed twice',
    })
  }
  vendor.dataCategories?.forEach((category, i) => {
    if (!reachable.has(category)) {
      problems.push({
        path: ['vendors', key, 'dataCategories', i],
        rule: 'vendor_category_outside_purposes',
        reason: `vendor "${key}" would receive ${category}, which none of its purposes collects`,
      })
    }
  })
  return problems
}

/** Whether a string is a fideslang special-category key, which a charter may never name as data it uses. */
export function isSpecialDataCategory(value: unknown): boolean {
  return (
    typeof value === 'string' &&
    (SPECIAL_DATA_CATEGORY_KEYS as readonly string[]).some(
      (k) => value === k || value.startsWith(`${k}.`),
    )
  )
}
