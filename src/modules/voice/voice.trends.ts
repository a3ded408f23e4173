import { DAY_MS } from '../../lib/clock.js'
import { ASPECTS } from './voice.analysis.js'
import type { VoiceSignal } from './voice.repository.js'
import type { TrendDay } from './voice.js'

const round = (value: number) => Math.round(value * 1000) / 1000

/**
 * One row per UTC day from `from` to `to` (both `YYYY-MM-DD`, days without entries included): entries,
 * negatives, mean sentiment of the entries with text, mean rating, and per aspect its entries and
 * negatives. Pure: the service reads the signals.
 */
export function dailyTrends(signals: readonly VoiceSignal[], from: string, to: string): TrendDay[] {
  const byDay = new Map<string, VoiceSignal[]>()
  for (const s of signals) {
    const day = s.createdAt.slice(0, 10)
    const list = byDay.get(day)
    if (list === undefined) byDay.set(day, [s])
    else list.push(s)
  }
  const out: TrendDay[] = []
  for (let t = Date.parse(from); t <= Date.parse(to); t += DAY_MS) {
    const day = new Date(t).toISOString().slice(0, 10)
    const list = byDay.get(day) ?? []
    const withText = list.filter((s) => s.hasText)
    const rated = list.filter((s) => s.rating !== null)
    const aspects = Object.fromEntries(
      ASPECTS.map((aspect) => {
        const about = list.filter((s) => s.aspects.includes(aspect))
        return [aspect, { entries: about.length, negative: about.filter((s) => s.negative).length }]
      }),
    ) as TrendDay['aspects']
    out.push({
      day,
      entries: list.length,
      negative: list.filter((s) => s.negative).length,
      meanSentiment:
        withText.length === 0
          ? null
          : round(withText.reduce((a, s) => a + s.sentiment, 0) / withText.length),
      meanRating:
        rated.length === 0 ? null : round(rated.reduce((a, s) => a + s.rating!, 0) / rated.length),
      aspects,
    })
  }
  return out
}
