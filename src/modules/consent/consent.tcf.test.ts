import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { TCString } from '@iabtechlabtcf/core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { AppError } from '../../lib/errors.js'
import { parseCharter } from '../charter/index.js'
import { decideAll, decodeTcfString, encodeTcfString, type ConsentRecord } from './index.js'

const TEXT = readFileSync(
  fileURLToPath(new URL('../../../candor.charter.yaml', import.meta.url)),
  'utf8',
)
const charter = parseCharter(TEXT)
const MAPPED = Object.entries(charter.purposes)
  .filter(([, p]) => p.tcfPurposes.length > 0)
  .map(([k]) => k)

describe('TCF strings', () => {
  it('encodes purpose consents without fetching a vendor list, and decodes them back', () => {
    const tc = encodeTcfString(
      charter,
      { 'personalize.recommendations': true, 'analytics.reporting': true },
      { now: new Date('2026-03-04T15:00:00Z') },
    )
    const model = TCString.decode(tc)
    const on = (v: { forEach(cb: (b: boolean, id: number) => void): void }) => {
      const ids: number[] = []
      v.forEach((b, id) => b && ids.push(id))
      return ids
    }
    expect(on(model.purposeConsents)).toEqual([5, 6])
    expect(on(model.purposeLegitimateInterests)).toEqual([8, 9])
    expect(model.cmpId).toBe(2)
    expect(model.publisherCountryCode).toBe('GB')
    expect(model.created.toISOString()).toBe('2026-03-04T00:00:00.000Z')

    expect(decodeTcfString(charter, tc)).toMatchObject({
      decisions: {
        'personalize.recommendations': 'granted',
        'analytics.reporting': 'granted',
        'marketing.advertising.first_party': 'denied',
        'marketing.advertising.third_party': 'denied',
      },
      purposeConsents: [5, 6],
      cmpId: 2,
    })
  })

  it('accepts decisions straight from decideAll', () => {
    const records: ConsentRecord[] = [
      {
        purpose: 'marketing.advertising.third_party',
        decision: 'granted',
        method: 'banner',
        noticeVersion: 'a'.repeat(64),
        jurisdiction: 'UK',
        recordedAt: new Date(0),
      },
    ]
    const decisions = decideAll({ charter, jurisdiction: 'UK', records, now: new Date(1000) })
    expect(decodeTcfString(charter, encodeTcfString(charter, decisions)).purposeConsents).toEqual([
      3, 4, 7,
    ])
  })

  it('never grants more than the shopper did, and is exact when TCF ids are not shared', () => {
    fc.assert(
      fc.property(
        fc.record(Object.fromEntries(MAPPED.map((k) => [k, fc.boolean()]))),
        (choices) => {
          const decoded = decodeTcfString(charter, encodeTcfString(charter, choices)).decisions
          for (const key of MAPPED) expect(decoded[key] === 'granted').toBe(choices[key])
        },
      ),
    )
  })

  it('stays conservative when two purposes share a TCF purpose', () => {
    const shared = parseCharter(TEXT.replace('tcfPurposes: [3, 4, 7]', 'tcfPurposes: [3, 4, 5, 7]'))
    fc.assert(
      fc.property(fc.boolean(), fc.boolean(), (recs, ads) => {
        const choices = {
          'personalize.recommendations': recs,
          'marketing.advertising.third_party': ads,
        }
        const decoded = decodeTcfString(shared, encodeTcfString(shared, choices)).decisions
        if (decoded['personalize.recommendations'] === 'granted') expect(recs).toBe(true)
        if (decoded['marketing.advertising.third_party'] === 'granted') expect(ads).toBe(true)
      }),
    )
  })

  it('refuses a string that is not a TC string', () => {
    for (const bad of ['', 'garbage!!', 'abc']) {
      expect(() => decodeTcfString(charter, bad)).toThrow(AppError)
      try {
        decodeTcfString(charter, bad)
      } catch (e) {
        expect((e as AppError).code).toBe('tcf_string_invalid')
      }
    }
  })

  it('needs tcf settings in the charter to encode', () => {
    const noTcf = parseCharter(
      TEXT.replace(/\ntcf:[\s\S]*$/, '\n').replaceAll(/\n {4}tcfPurposes: \[[0-9, ]+\]/g, ''),
    )
    expect(() => encodeTcfString(noTcf, {})).toThrow(/tcf/)
  })
})
