import { describe, expect, it } from 'vitest'
import { analyze, aspectsOf } from './voice.analysis.js'

describe('voice analysis (wink-nlp sentiment, aspect keywords)', () => {
  it('scores praise above zero and complaints below it', () => {
    const praise = analyze('Lovely candle, great quality and fast delivery!', undefined)
    expect(praise.sentiment).toBeGreaterThan(0)
    expect(praise.negative).toBe(false)
    const complaint = analyze(
      'Terrible. It broke after a day and was far too expensive.',
      undefined,
    )
    expect(complaint.sentiment).toBeLessThan(0)
    expect(complaint.negative).toBe(true)
  })

  it('tags the aspects a text is about', () => {
    expect(
      analyze('These suggestions are creepy, how do you know that?', undefined).aspects,
    ).toEqual(['relevance', 'privacy'])
    expect(analyze('Overpriced, and the parcel arrived late', undefined).aspects).toEqual([
      'price',
      'delivery',
    ])
    expect(aspectsOf(['nice', 'mug'])).toEqual([])
  })

  it('lets a rating decide whether an entry is negative', () => {
    expect(analyze('Lovely!', 1).negative).toBe(true)
    expect(analyze(undefined, 2).negative).toBe(true)
    expect(analyze(undefined, 4)).toEqual({ sentiment: 0, aspects: [], negative: false })
  })
})
