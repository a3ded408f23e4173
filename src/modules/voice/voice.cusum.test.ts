import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DEFAULT_CUSUM, cusum } from './voice.cusum.js'
import { hourlyCounts } from './voice.alerts.js'

const quiet = (hours: number, value = 0) => new Array<number>(hours).fill(value)

describe('CUSUM over hourly counts of negative entries', () => {
  it('stays silent for a quiet item with a lone complaint, and fires on a burst', () => {
    expect(cusum([...quiet(24), 0, 0, 1], 3).alarm).toBe(false)
    expect(cusum([...quiet(24), 0, 0, 2], 3).alarm).toBe(false)
    const burst = cusum([...quiet(24), 0, 0, 6], 3)
    expect(burst.alarm).toBe(true)
    expect(burst.baseline).toBe(DEFAULT_CUSUM.minBaseline)
  })

  it('accumulates a smaller rise that lasts several hours', () => {
    expect(cusum([...quiet(24), 3], 1).alarm).toBe(false)
    expect(cusum([...quiet(24), 3, 3, 3], 3).alarm).toBe(true)
  })

  it('judges against the usual level: a busy item needs more to alarm', () => {
    expect(cusum([...quiet(24, 5), 0, 0, 8], 3).alarm).toBe(false)
    expect(cusum([...quiet(24, 5), 0, 0, 11], 3).alarm).toBe(true)
  })

  it('never alarms when the recent hours are no busier than the baseline (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 1, maxLength: 48 }),
        fc.integer({ min: 1, max: 6 }),
        (history, window) => {
          const mean = history.reduce((a, b) => a + b, 0) / history.length
          const recent = new Array<number>(window).fill(Math.floor(mean))
          const result = cusum([...history, ...recent], window)
          expect(result.statistic).toBeGreaterThanOrEqual(0)
          expect(result.alarm).toBe(false)
        },
      ),
    )
  })

  it('counts entries into the hour they were made in, the current hour last', () => {
    const now = new Date('2026-03-02T09:30:00Z')
    const counts = hourlyCounts(
      [
        '2026-03-02T09:01:00Z',
        '2026-03-02T09:29:59Z',
        '2026-03-02T08:59:59Z',
        '2026-03-01T09:00:00Z',
      ],
      now,
      3,
    )
    expect(counts).toEqual([0, 1, 2])
  })
})
