import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { AppError } from '../../lib/errors.js'
import { noticeVersionOf, parseCharter } from '../charter/index.js'
import { buildConsentRecord, ConsentRecordSchema } from './index.js'

const charter = parseCharter(
  readFileSync(fileURLToPath(new URL('../../../candor.charter.yaml', import.meta.url)), 'utf8'),
)
const version = noticeVersionOf(charter)
const now = new Date('2026-01-01T00:00:00Z')

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (e) {
    return e instanceof AppError ? e.code : 'not an AppError'
  }
  return undefined
}

describe('buildConsentRecord', () => {
  it('builds a valid record from a consent change', () => {
    const record = buildConsentRecord({
      charter,
      purpose: 'personalize.recommendations',
      body: { decision: 'granted', method: 'banner', noticeVersion: version },
      jurisdiction: 'UK',
      now,
    })
    expect(ConsentRecordSchema.parse(record)).toEqual({
      purpose: 'personalize.recommendations',
      decision: 'granted',
      method: 'banner',
      noticeVersion: version,
      jurisdiction: 'UK',
      recordedAt: now,
    })
  })

  it('refuses an undeclared purpose, a contract purpose, a bad body and the gpc method', () => {
    expect(
      codeOf(() =>
        buildConsentRecord({
          charter,
          purpose: 'nope.nope',
          body: { decision: 'granted', noticeVersion: version },
          jurisdiction: 'UK',
          now,
        }),
      ),
    ).toBe('purpose_not_found')
    expect(
      codeOf(() =>
        buildConsentRecord({
          charter,
          purpose: 'essential.service',
          body: { decision: 'denied', noticeVersion: version },
          jurisdiction: 'UK',
          now,
        }),
      ),
    ).toBe('validation_failed')
    expect(
      codeOf(() =>
        buildConsentRecord({
          charter,
          purpose: 'analytics.reporting',
          body: { decision: 'maybe', noticeVersion: version },
          jurisdiction: 'UK',
          now,
        }),
      ),
    ).toBe('validation_failed')
    expect(
      codeOf(() =>
        buildConsentRecord({
          charter,
          purpose: 'analytics.reporting',
          body: { decision: 'denied', method: 'gpc', noticeVersion: version },
          jurisdiction: 'UK',
          now,
        }),
      ),
    ).toBe('validation_failed')
  })

  it('takes a special-category purpose only on a choice made for it alone', () => {
    const build = (decision: string, method: string) => () =>
      buildConsentRecord({
        charter,
        purpose: 'personalize.special.health',
        body: { decision, method, noticeVersion: version },
        jurisdiction: 'UK',
        now,
      })
    for (const method of ['banner', 'progressive_prompt']) {
      expect(codeOf(build('granted', method)), method).toBe('validation_failed')
      // Saying no works however it is said.
      expect(build('denied', method)().decision).toBe('denied')
    }
    try {
      build('granted', 'banner')()
    } catch (e) {
      expect((e as AppError).message).toContain('not through a banner')
    }
    for (const method of ['privacy_center', 'api', 'import'])
      expect(build('granted', method)().method).toBe(method)
  })

  it('refuses a grant against an outdated notice but always accepts a withdrawal', () => {
    const old = '0'.repeat(64)
    expect(
      codeOf(() =>
        buildConsentRecord({
          charter,
          purpose: 'analytics.reporting',
          body: { decision: 'granted', noticeVersion: old },
          jurisdiction: 'UK',
          now,
        }),
      ),
    ).toBe('notice_outdated')
    const withdrawal = buildConsentRecord({
      charter,
      purpose: 'analytics.reporting',
      body: { decision: 'denied', noticeVersion: old },
      jurisdiction: 'XX',
      now,
    })
    expect(withdrawal).toMatchObject({ decision: 'denied', method: 'api', jurisdiction: 'default' })
  })
})
