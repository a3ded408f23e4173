import { describe, expect, it } from 'vitest'
import { compareProfiles, totalVariation } from './voice.representativeness.js'

describe('representativeness', () => {
  it('measures the total variation distance: 0 for the same shares, 1 for no group in common', () => {
    const p = new Map([
      ['a', 0.5],
      ['b', 0.5],
    ])
    expect(totalVariation(p, p)).toBe(0)
    expect(totalVariation(p, new Map([['c', 1]]))).toBe(1)
    expect(totalVariation(p, new Map([['a', 1]]))).toBe(0.5)
  })

  it('flags a dimension only beyond the threshold', () => {
    const profile = (jurisdiction: string) => ({ jurisdiction, level: 'personal', tenure: 'new' })
    const base = [...Array(50).fill(profile('UK')), ...Array(50).fill(profile('EU'))]
    // 65% / 35%: distance 0.15, under 0.2; 75% / 25%: 0.25, over.
    const near = [...Array(13).fill(profile('UK')), ...Array(7).fill(profile('EU'))]
    const far = [...Array(15).fill(profile('UK')), ...Array(5).fill(profile('EU'))]
    expect(compareProfiles(base, near)[0]).toMatchObject({ distance: 0.15, skewed: false })
    expect(compareProfiles(base, far)[0]).toMatchObject({ distance: 0.25, skewed: true })
  })
})
