/**
 * IAB TCF v2.2 consent strings for the purposes the charter maps to TCF purpose ids, through the official
 * `@iabtechlabtcf/core` library.
 *
 * Encoding needs a Global Vendor List: the library refuses a TCModel without one. Candor never fetches it
 * (no network at run time, and it only signals purposes, not vendors), so it builds a local vendor list with
 * the eleven TCF purposes and no vendors. Vendor consent bits therefore stay empty; the purpose consent,
 * purpose legitimate-interest and publisher vectors carry the shopper's choices.
 *
 * Mapping, chosen so that a round trip never grants more than the shopper did:
 * - encode: TCF purpose i is set when every charter purpose mapped to i (on that legal basis) is allowed;
 * - decode: a charter purpose is granted when every TCF purpose it maps to is set.
 * Consent-based purposes use the consent vectors; legitimate-interest purposes the legitimate-interest
 * vectors (a cleared bit is an objection). When no two charter purposes share a TCF id, the round trip is
 * exact.
 */
import { GVL, TCModel, TCString } from '@iabtechlabtcf/core'
import { AppError } from '../../lib/errors.js'
import type { Charter, PurposeKey, TcfSettings } from '../charter/index.js'
import type { ConsentDecision } from './consent.js'

const TCF_PURPOSE_NAMES: Readonly<Record<number, string>> = {
  1: 'Store and/or access information on a device',
  2: 'Use limited data to select advertising',
  3: 'Create profiles for personalised advertising',
  4: 'Use profiles to select personalised advertising',
  5: 'Create profiles to personalise content',
  6: 'Use profiles to select personalised content',
  7: 'Measure advertising performance',
  8: 'Measure content performance',
  9: 'Understand audiences through statistics or combinations of data from different sources',
  10: 'Develop and improve services',
  11: 'Use limited data to select content',
}

function localVendorList(settings: TcfSettings): GVL {
  const purposes = Object.fromEntries(
    Object.entries(TCF_PURPOSE_NAMES).map(([id, name]) => [
      id,
      { id: Number(id), name, description: name },
    ]),
  )
  return new GVL({
    gvlSpecificationVersion: 3,
    vendorListVersion: settings.vendorListVersion,
    tcfPolicyVersion: settings.policyVersion,
    lastUpdated: '2024-01-01T00:00:00Z',
    purposes,
    specialPurposes: {},
    features: {},
    specialFeatures: {},
    stacks: {},
    vendors: {},
  })
}

function requireTcf(charter: Charter): TcfSettings {
  if (charter.tcf === undefined) {
    throw new AppError(
      'validation_failed',
      'The data charter has no `tcf` settings, so Candor cannot write TCF strings',
    )
  }
  return charter.tcf
}

/** Charter purposes that map to TCF, split by the vector that carries them. */
function mappedPurposes(charter: Charter) {
  return Object.entries(charter.purposes).filter(
    ([, p]) =>
      p.tcfPurposes.length > 0 &&
      (p.legalBasis === 'consent' || p.legalBasis === 'legitimate_interest'),
  )
}

/** Allowed-or-not per purpose, from decisions or a plain map. */
export type TcfChoices = Readonly<Record<PurposeKey, boolean>> | readonly ConsentDecision[]

function toMap(choices: TcfChoices): ReadonlyMap<PurposeKey, boolean> {
  if (Array.isArray(choices))
    return new Map(choices.map((d: ConsentDecision) => [d.purpose, d.allowed]))
  return new Map(Object.entries(choices as Readonly<Record<PurposeKey, boolean>>))
}

/**
 * Encode the shopper's decisions as a TCF v2.2 TC string (core and publisher segments). A purpose missing
 * from `choices` counts as not allowed.
 *
 * @example
 *   encodeTcfString(charter, decideAll(context), { now: clock.now() })  // 'CQ...'
 */
export function encodeTcfString(
  charter: Charter,
  choices: TcfChoices,
  options: { now?: Date } = {},
): string {
  const settings = requireTcf(charter)
  const allowed = toMap(choices)
  const consentIds = new Map<number, boolean>()
  const interestIds = new Map<number, boolean>()
  for (const [key, purpose] of mappedPurposes(charter)) {
    const target = purpose.legalBasis === 'consent' ? consentIds : interestIds
    for (const id of purpose.tcfPurposes)
      target.set(id, (target.get(id) ?? true) && allowed.get(key) === true)
  }
  const on = (ids: Map<number, boolean>) => [...ids].filter(([, v]) => v).map(([id]) => id)

  const model = new TCModel(localVendorList(settings))
  model.cmpId = settings.cmpId
  model.cmpVersion = settings.cmpVersion
  model.publisherCountryCode = settings.publisherCountryCode
  model.isServiceSpecific = true
  model.consentScreen = 1
  if (options.now !== undefined) {
    const day = new Date(
      Date.UTC(options.now.getUTCFullYear(), options.now.getUTCMonth(), options.now.getUTCDate()),
    )
    model.created = day
    model.lastUpdated = day
  }
  model.purposeConsents.set(on(consentIds))
  model.publisherConsents.set(on(consentIds))
  model.purposeLegitimateInterests.set(on(interestIds))
  model.publisherLegitimateInterests.set(on(interestIds))
  return TCString.encode(model)
}

export interface DecodedTcf {
  /** Per charter purpose that maps to TCF: whether the string grants it. */
  decisions: Record<PurposeKey, 'granted' | 'denied'>
  purposeConsents: number[]
  purposeLegitimateInterests: number[]
  cmpId: number
  cmpVersion: number
  created: Date
}

function setIds(vector: { forEach(cb: (value: boolean, id: number) => void): void }): number[] {
  const ids: number[] = []
  vector.forEach((value, id) => {
    if (value) ids.push(id)
  })
  return ids.sort((a, b) => a - b)
}

/**
 * Read a TC string (from this or another CMP) into per-purpose decisions for the charter's mapped purposes.
 * The caller records them with method `import`.
 *
 * @throws AppError('tcf_string_invalid') when the string cannot be decoded
 */
export function decodeTcfString(charter: Charter, tcString: string): DecodedTcf {
  let model: TCModel
  try {
    model = TCString.decode(tcString.trim())
  } catch (cause) {
    throw new AppError('tcf_string_invalid', 'The TCF consent string cannot be read', {
      issues: [
        {
          field: 'tcString',
          reason: cause instanceof Error ? cause.message : 'it is not a TC string',
        },
      ],
      cause,
    })
  }
  if (model.version !== 2) {
    throw new AppError('tcf_string_invalid', 'Only TCF version 2 consent strings are accepted', {
      issues: [{ field: 'tcString', reason: `version ${String(model.version)} is not supported` }],
    })
  }
  // The decoder reads any Base64URL text as bits and leaves what it cannot read at defaults; a genuine
  // TC string names a registered CMP (ids 0 and 1 are not assigned) and a vendor list version.
  if (Number(model.cmpId) < 2 || Number(model.vendorListVersion) < 1) {
    throw new AppError('tcf_string_invalid', 'The TCF consent string cannot be read', {
      issues: [{ field: 'tcString', reason: 'it names no registered CMP or vendor list version' }],
    })
  }
  const consents = setIds(model.purposeConsents)
  const interests = setIds(model.purposeLegitimateInterests)
  const decisions: Record<PurposeKey, 'granted' | 'denied'> = {}
  for (const [key, purpose] of mappedPurposes(charter)) {
    const source = purpose.legalBasis === 'consent' ? consents : interests
    decisions[key] = purpose.tcfPurposes.every((id) => source.includes(id)) ? 'granted' : 'denied'
  }
  return {
    decisions,
    purposeConsents: consents,
    purposeLegitimateInterests: interests,
    cmpId: Number(model.cmpId),
    cmpVersion: Number(model.cmpVersion),
    created: model.created,
  }
}
