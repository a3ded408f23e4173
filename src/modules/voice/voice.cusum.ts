/**
 * A one-sided CUSUM (Page 1954) over hourly counts of negative entries, for one item or aspect: it
 * raises an alarm when counts run above their usual level for long enough, or jump far above it at once.
 * Pure: the service reads the counts and posts the alert.
 *
 * The baseline is the mean of the earlier hours (at least `minBaseline`, so a quiet item's first
 * complaint is not a spike), and the statistic is S_t = max(0, S_{t-1} + x_t - mu - k), alarm when
 * S_t > h. `k` (the slack) and `h` (the threshold) are in counts per hour.
 */
export interface CusumOptions {
  /** Slack: an hour's count must exceed the baseline by more than this to add to S. */
  readonly k: number
  /** Threshold: S above this is a spike. */
  readonly h: number
  /** The baseline never counts below this many per hour. */
  readonly minBaseline: number
}

export const DEFAULT_CUSUM: CusumOptions = Object.freeze({ k: 1, h: 4, minBaseline: 0.5 })

export interface CusumResult {
  /** The statistic after the last hour. */
  statistic: number
  /** Whether the last hour's statistic is above the threshold. */
  alarm: boolean
  baseline: number
}

/**
 * CUSUM over `counts` (oldest first, the last is the current hour): the baseline is the mean of the
 * hours before the last `window` hours, and S runs over those last hours.
 *
 * @example cusum([0, 0, 1, 0, 0, 0, 0, 0, 9], 3).alarm // true
 */
export function cusum(
  counts: readonly number[],
  window: number,
  options: CusumOptions = DEFAULT_CUSUM,
): CusumResult {
  const split = Math.max(0, counts.length - window)
  const history = counts.slice(0, split)
  const recent = counts.slice(split)
  const mean = history.length === 0 ? 0 : history.reduce((a, b) => a + b, 0) / history.length
  const baseline = Math.max(options.minBaseline, mean)
  let statistic = 0
  for (const x of recent) statistic = Math.max(0, statistic + x - baseline - options.k)
  return { statistic, alarm: statistic > options.h, baseline }
}
