import { describe, expect, it } from 'vitest'
import { type Citation, type LoggedAnswer, onlineQuality } from './online-quality.js'

const window = { since: '2026-03-01T00:00:00.000Z', until: '2026-03-31T00:00:00.000Z' }

describe('onlineQuality', () => {
  it('merges groups under the threshold into "other", shown once it reaches it', () => {
    const cited = new Map<string, LoggedAnswer>([
      ['rec_a', { level: 'session', placement: 'product', items: ['MUG', 'TEA'] }],
      ['rec_b', { level: 'off', placement: 'email', items: ['CARD'] }],
    ])
    const citations: Citation[] = [
      { recommId: 'rec_a', action: 'purchase', item: 'TEA' },
      { recommId: 'rec_b', action: 'view', item: 'CARD' },
      // An answer outside the window (not in `cited`) and an item the answer did not show: ignored.
      { recommId: 'rec_gone', action: 'view', item: 'MUG' },
      { recommId: 'rec_a', action: 'cart', item: 'POT' },
    ]
    const result = onlineQuality({
      ...window,
      answerCounts: [
        { level: 'personal', placement: 'home', answers: 30 },
        { level: 'session', placement: 'product', answers: 6 },
        { level: 'off', placement: 'email', answers: 4 },
      ],
      cited,
      citations,
    })
    expect(result.groups.map((g) => [g.level, g.answers, g.viewed, g.carted, g.purchased])).toEqual(
      [
        ['personal', 30, 0, 0, 0],
        ['other', 10, 1, 0, 1],
      ],
    )
    expect(result.groups[1]).toMatchObject({ viewRate: 0.1, purchaseRate: 0.1, cartRate: 0 })
    expect(result.total).toMatchObject({ answers: 40, viewed: 1, purchased: 1, viewRate: 0.025 })
    expect(result.withheld).toEqual({ groups: 0, answers: 0 })
  })

  it('withholds a merged group still under the threshold, and leaves it out of the total', () => {
    const result = onlineQuality({
      ...window,
      answerCounts: [
        { level: 'personal', placement: 'home', answers: 12 },
        { level: 'off', placement: 'email', answers: 2 },
      ],
      cited: new Map([['rec_b', { level: 'off', placement: 'email', items: ['CARD'] }]]),
      citations: [{ recommId: 'rec_b', action: 'purchase', item: 'CARD' }],
    })
    expect(result.groups.map((g) => g.level)).toEqual(['personal'])
    expect(result.total).toMatchObject({ answers: 12, purchased: 0 })
    expect(result.withheld).toEqual({ groups: 1, answers: 2 })
  })
})
