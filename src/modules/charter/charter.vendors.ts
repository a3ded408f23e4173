/**
 * The charter rules about what vendors receive and where it goes (issue 23): the event fields a vendor
 * is given must be kept by one of its purposes, and a vendor outside the EEA in a country without an EU
 * adequacy decision must name its transfer safeguard (GDPR Art. 46: standard contractual clauses or
 * binding corporate rules). The adequacy list is data, with its source, so that it is updated in one
 * place when the European Commission adopts or withdraws a decision.
 */
import type { Charter, EventField, EventType, Vendor } from './charter.js'
import type { CharterProblem } from './charter.rules.js'

/** Where the adequacy list comes from, and when it was last compared with it. */
export const ADEQUACY_SOURCE = {
  url: 'https://commission.europa.eu/law/law-topic/data-protection/international-dimension-data-protection/adequacy-decisions_en',
  title: 'European Commission: Adequacy decisions',
  checked: '2026-12-07',
} as const

/** The EU member states and the other EEA countries (Iceland, Liechtenstein, Norway): no transfer at all. */
export const EEA_COUNTRIES: readonly string[] = [
  'AT', 'BE', 'BG', 'HR', 'CY', 'CZ', 'DK', 'EE', 'FI', 'FR', 'DE', 'GR', 'HU', 'IE', 'IT', 'LV',
  'LT', 'LU', 'MT', 'NL', 'PL', 'PT', 'RO', 'SK', 'SI', 'ES', 'SE', 'IS', 'LI', 'NO',
] // prettier-ignore

/**
 * Countries with an EU adequacy decision. `partial`: the decision covers only some recipients there,
 * so a vendor must still name how it is covered (`dpf` for a US organisation certified under the
 * EU-US Data Privacy Framework, or SCCs / BCRs).
 */
export const ADEQUACY_DECISIONS: Readonly<Record<string, { name: string; partial?: string }>> = {
  AD: { name: 'Andorra' },
  AR: { name: 'Argentina' },
  CA: { name: 'Canada', partial: 'commercial organisations under PIPEDA' },
  FO: { name: 'Faroe Islands' },
  GG: { name: 'Guernsey' },
  IL: { name: 'Israel' },
  IM: { name: 'Isle of Man' },
  JP: { name: 'Japan' },
  JE: { name: 'Jersey' },
  NZ: { name: 'New Zealand' },
  KR: { name: 'Republic of Korea' },
  CH: { name: 'Switzerland' },
  GB: { name: 'United Kingdom' },
  US: {
    name: 'United States',
    partial: 'organisations certified under the EU-US Data Privacy Framework',
  },
  UY: { name: 'Uruguay' },
  // The European Patent Organisation's decision (2025) covers an international organisation, not a country.
}

/** How a transfer to a vendor is lawful, in words for `candor charter check` and the notice. */
export function transferBasis(vendor: Vendor): string {
  if (EEA_COUNTRIES.includes(vendor.country)) return 'inside the EEA'
  const decision = ADEQUACY_DECISIONS[vendor.country]
  if (vendor.transferSafeguard === 'sccs') return 'standard contractual clauses'
  if (vendor.transferSafeguard === 'bcrs') return 'binding corporate rules'
  if (vendor.transferSafeguard === 'dpf') return 'EU-US Data Privacy Framework certification'
  if (decision !== undefined) return `adequacy decision (${decision.name})`
  return 'no safeguard'
}

function transferProblems(key: string, vendor: Vendor): CharterProblem[] {
  const at = ['vendors', key]
  const decision = ADEQUACY_DECISIONS[vendor.country]
  const safeguard = vendor.transferSafeguard
  if (safeguard === 'dpf' && vendor.country !== 'US') {
    return [
      {
        path: [...at, 'transferSafeguard'],
        rule: 'vendor_transfer_safeguard_invalid',
        reason: 'dpf (the EU-US Data Privacy Framework) covers vendors in the US only',
      },
    ]
  }
  const needsSafeguard =
    !EEA_COUNTRIES.includes(vendor.country) &&
    (decision === undefined || (decision.partial !== undefined && vendor.country === 'US'))
  if (!needsSafeguard || safeguard !== undefined) return []
  const why =
    decision === undefined
      ? `${vendor.country} has no EU adequacy decision`
      : `the adequacy decision for ${decision.name} covers only ${decision.partial}`
  return [
    {
      path: [...at, 'country'],
      rule: 'vendor_transfer_unsafeguarded',
      reason: `vendor "${key}" is in ${vendor.country}: ${why}, so it needs transferSafeguard: sccs or bcrs${vendor.country === 'US' ? ' (or dpf)' : ''} (source: ${ADEQUACY_SOURCE.url})`,
    },
  ]
}

/** The fields a vendor may receive of one event type for some of its purposes (before consent). */
export function vendorFieldsOf(
  charter: Charter,
  vendor: Vendor,
  type: EventType,
  purposes: readonly string[],
): EventField[] {
  const out = new Set<EventField>()
  for (const purpose of purposes) {
    if (!vendor.purposes.includes(purpose)) continue
    for (const field of charter.purposes[purpose]?.events[type] ?? []) {
      if (vendor.fields === undefined || vendor.fields.includes(field)) out.add(field)
    }
  }
  return [...out]
}

/** Vendor entries: transfers outside the EEA are safeguarded; named fields are kept by its purposes. */
export function checkVendorSharing(
  charter: Charter,
  key: string,
  vendor: Vendor,
): CharterProblem[] {
  const problems = transferProblems(key, vendor)
  vendor.fields?.forEach((field, i) => {
    const kept = vendor.purposes.some((p) =>
      Object.values(charter.purposes[p]?.events ?? {}).some((fields) => fields.includes(field)),
    )
    if (!kept) {
      problems.push({
        path: ['vendors', key, 'fields', i],
        rule: 'vendor_field_outside_purposes',
        reason: `vendor "${key}" would receive the event field ${field}, which none of its purposes keeps`,
      })
    }
  })
  return problems
}
