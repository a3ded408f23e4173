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

/** One item's negative entries in a window, as the console's "recent negative items" lists them. */
export interface NegativeItem {
  item: string
  /** Negative entries about the item in the window. */
  negative: number
  /** All its entries in the window. */
  entries: number
  /** Mean rating of its rated entries (null: none rated). */
  meanRating: number | null
  /** The aspects its negative entries named, most named first. */
  aspects: string[]
  /** When its latest negative entry came. */
  lastNegativeAt: string
}

/**
 * The items with at least one negative entry among `signals`, most negatives first (then the latest
 * first), at most `limit`. Counts only: no owner, no text. Pure: the service reads the signals.
 */
export function negativeItems(signals: readonly VoiceSignal[], limit: number): NegativeItem[] {
  const byItem = new Map<string, VoiceSignal[]>()
  for (const s of signals) {
    if (s.item === null) continue
    const list = byItem.get(s.item)
    if (list === undefined) byItem.set(s.item, [s])
    else list.push(s)
  }
  const out: NegativeItem[] = []
  for (const [item, list] of byItem) {
    const negatives = list.filter((s) => s.negative)
    if (negatives.length === 0) continue
    const rated = list.filter((s) => s.rating !== null)
    const named = new Map<string, number>()
    for (const s of negatives) for (const a of s.aspects) named.set(a, (named.get(a) ?? 0) + 1)
    out.push({
      item,
      negative: negatives.length,
      entries: list.length,
      meanRating:
        rated.length === 0 ? null : round(rated.reduce((a, s) => a + s.rating!, 0) / rated.length),
      aspects: [...named].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([a]) => a),
      lastNegativeAt: negatives.map((s) => s.createdAt).reduce((a, b) => (a > b ? a : b)),
    })
  }
  return out
    .sort((a, b) => b.negative - a.negative || b.lastNegativeAt.localeCompare(a.lastNegativeAt))
    .slice(0, limit)
}
