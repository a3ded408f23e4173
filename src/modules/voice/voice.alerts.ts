/**
 * Live alerts: after a negative entry, the hourly counts of negative entries about its item and each
 * of its aspects run through the CUSUM detector (`voice.cusum.ts`); a spike is claimed once per target
 * and hour in `voice_alerts` (so several processes post it once) and posted to the configured webhook.
 * The alert carries counts only: no owner, no text.
 */
import type { Clock } from '../../lib/clock.js'
import { newSortableId } from '../../lib/ids.js'
import type { Db } from '../../storage/db.js'
import { type CusumOptions, DEFAULT_CUSUM, cusum } from './voice.cusum.js'
import type { VoiceRepository } from './voice.repository.js'

const HOUR_MS = 3_600_000

/** Hours of history the baseline is the mean of, and the recent hours CUSUM runs over. */
export const BASELINE_HOURS = 24
export const CUSUM_HOURS = 3
/** How long a webhook delivery may take before it counts as failed (the alert stays undelivered). */
export const WEBHOOK_TIMEOUT_MS = 5000

/** What an alert is about: one item, or one aspect across items. */
export type AlertTarget = { kind: 'item'; item: string } | { kind: 'aspect'; aspect: string }

export interface VoiceAlert {
  type: 'voice.negative_spike'
  id: string
  target: AlertTarget
  /** The hour (UTC, ISO) the spike was detected in. */
  hour: string
  /** Negative entries in that hour so far. */
  count: number
  baseline: number
  statistic: number
  raisedAt: string
}

export interface AlertDeps {
  db: Db
  clock: Clock
  repo: VoiceRepository
  /** Where alerts are posted (CANDOR_VOICE_WEBHOOK_URL); undefined: alerts are only kept. */
  webhookUrl: string | undefined
  cusum?: CusumOptions
}

const targetKey = (target: AlertTarget) =>
  target.kind === 'item' ? `item:${target.item}` : `aspect:${target.aspect}`

/** Counts per hour, oldest first, over the `hours` hours that end with the one holding `now`. */
export function hourlyCounts(createdAts: readonly string[], now: Date, hours: number): number[] {
  const currentHour = Math.floor(now.getTime() / HOUR_MS)
  const counts = new Array<number>(hours).fill(0)
  for (const at of createdAts) {
    const index = hours - 1 - (currentHour - Math.floor(Date.parse(at) / HOUR_MS))
    if (index >= 0 && index < hours) counts[index]! += 1
  }
  return counts
}

export function createVoiceAlerts(deps: AlertDeps) {
  const options = deps.cusum ?? DEFAULT_CUSUM

  async function post(alert: VoiceAlert): Promise<boolean> {
    if (deps.webhookUrl === undefined) return false
    try {
      const response = await fetch(deps.webhookUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(alert),
        signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
      })
      return response.ok
    } catch {
      return false
    }
  }

  /** Runs the detector for one target now; the alert raised, if this call raised it. */
  async function checkTarget(target: AlertTarget): Promise<VoiceAlert | undefined> {
    const now = deps.clock.now()
    const hours = BASELINE_HOURS + CUSUM_HOURS
    const currentHourStart = Math.floor(now.getTime() / HOUR_MS) * HOUR_MS
    const from = new Date(currentHourStart - (hours - 1) * HOUR_MS).toISOString()
    const to = new Date(now.getTime() + 1).toISOString()
    const signals = await deps.repo.listSignals(
      deps.db,
      { from, to },
      target.kind === 'item'
        ? { item: target.item, negativeOnly: true }
        : { aspect: target.aspect, negativeOnly: true },
    )
    const counts = hourlyCounts(
      signals.map((s) => s.createdAt),
      now,
      hours,
    )
    const result = cusum(counts, CUSUM_HOURS, options)
    if (!result.alarm) return undefined
    const hour = new Date(currentHourStart).toISOString()
    const alert: VoiceAlert = {
      type: 'voice.negative_spike',
      id: newSortableId('val', now.getTime()),
      target,
      hour,
      count: counts.at(-1) ?? 0,
      baseline: result.baseline,
      statistic: result.statistic,
      raisedAt: now.toISOString(),
    }
    const claimed = await deps.repo.claimAlert(deps.db, {
      id: alert.id,
      target: targetKey(target),
      hour,
      count: alert.count,
      statistic: alert.statistic,
      createdAt: alert.raisedAt,
    })
    if (!claimed) return undefined
    if (await post(alert)) await deps.repo.markDelivered(deps.db, alert.id)
    return alert
  }

  return {
    /** Checks every target in turn; the alerts this call raised. */
    async check(targets: readonly AlertTarget[]): Promise<VoiceAlert[]> {
      const raised: VoiceAlert[] = []
      for (const target of targets) {
        const alert = await checkTarget(target)
        if (alert !== undefined) raised.push(alert)
      }
      return raised
    },
    list: (limit: number) => deps.repo.listAlerts(deps.db, limit),
  }
}
