/**
 * An always-valid sequential test for a difference in conversion rates: pure functions, no I/O.
 *
 * What is implemented: the mixture sequential probability ratio test (mSPRT) with a normal mixture
 * over the difference, as in Johari, Koomen, Pekelis and Walsh, "Always Valid Inference: Continuous
 * Monitoring of A/B Tests" (Operations Research 70(3), 2022; arXiv 1512.04922), the method behind
 * Optimizely's Stats Engine; written in the parametrization of Howard, Ramdas, McAuliffe and Sekhon,
 * "Time-uniform, nonparametric, nonasymptotic confidence sequences" (Annals of Statistics 49(2), 2021)
 * that GrowthBook's sequential testing uses: the mixing variance is tau^2 = rho^2 * N * V, with rho
 * tuned so that the confidence sequence is tightest at a planned sample size n*
 * (rho^2 = (-2 ln alpha + ln(-2 ln alpha + 1)) / n*).
 *
 * With Delta the observed difference (treatment rate minus control rate), V its estimated variance and
 * N the units of both arms:
 *   Lambda(theta) = sqrt(1 / (1 + N rho^2)) * exp(N rho^2 / (1 + N rho^2) * (Delta - theta)^2 / (2 V))
 *   always-valid p-value = min over looks of min(1, 1 / Lambda(0))   (pooled V under H0)
 *   confidence sequence = Delta +- sqrt(V (1 + N rho^2) / (N rho^2) * (2 ln(1/alpha) + ln(1 + N rho^2)))
 * intersected over looks. By Ville's inequality the chance that the p-value ever falls to alpha under
 * no difference is at most alpha, however often one looks. The variance is a plug-in estimate (the
 * normal approximation for two proportions, as in both references), so validity is asymptotic: no
 * answer is given below `MIN_UNITS_PER_ARM` units in an arm. Several treatments are each compared with
 * the control at alpha / (number of treatments) (Bonferroni).
 *
 * The interval is for the absolute difference in conversion rate; the relative lift is reported as a
 * point estimate only.
 */

export interface ArmCounts {
  /** Units exposed (enrolled) in this arm. */
  readonly units: number
  /** Units of this arm that converted (counted once each). */
  readonly conversions: number
}

export interface SequentialOptions {
  /** The level: the chance of ever declaring a difference when there is none. */
  readonly alpha: number
  /** The total units (both arms) at which the confidence sequence is tuned to be tightest. */
  readonly plannedUnits: number
}

export const DEFAULT_SEQUENTIAL: SequentialOptions = Object.freeze({
  alpha: 0.05,
  plannedUnits: 10_000,
})

/** Below this many units in an arm no statistic is given (the normal approximation is too rough). */
export const MIN_UNITS_PER_ARM = 30

export interface Comparison {
  readonly controlRate: number
  readonly treatmentRate: number
  /** Treatment rate minus control rate. */
  readonly difference: number
  /** difference / control rate, or null when the control rate is 0. */
  readonly relativeLift: number | null
  /** Always-valid p-value for "no difference" (1 until both arms have enough units). */
  readonly pValue: number
  /** Confidence sequence for the difference, clamped to [-1, 1]. */
  readonly interval: readonly [number, number]
  readonly significant: boolean
}

/** The mixture parameter rho^2 for a level and planned sample size (Howard et al. 2021). */
export function mixtureRho2(alpha: number, plannedUnits: number): number {
  const l = -2 * Math.log(alpha)
  return (l + Math.log(l + 1)) / plannedUnits
}

function rate(arm: ArmCounts): number {
  return arm.units > 0 ? arm.conversions / arm.units : 0
}

/**
 * One look: the comparison on the current counts alone. Valid at any stopping time by itself; `advance`
 * adds the running minimum and intersection, which can only sharpen it.
 */
export function compareProportions(
  control: ArmCounts,
  treatment: ArmCounts,
  options: SequentialOptions = DEFAULT_SEQUENTIAL,
): Comparison {
  const pa = rate(control)
  const pb = rate(treatment)
  const difference = pb - pa
  const relativeLift = pa > 0 ? difference / pa : null
  const base = { controlRate: pa, treatmentRate: pb, difference, relativeLift }
  const none: Comparison = { ...base, pValue: 1, interval: [-1, 1], significant: false }
  if (control.units < MIN_UNITS_PER_ARM || treatment.units < MIN_UNITS_PER_ARM) return none

  const n = control.units + treatment.units
  const rho2 = mixtureRho2(options.alpha, options.plannedUnits)
  const nr = n * rho2
  const pooled = (control.conversions + treatment.conversions) / n
  const v0 = pooled * (1 - pooled) * (1 / control.units + 1 / treatment.units)
  const v = (pa * (1 - pa)) / control.units + (pb * (1 - pb)) / treatment.units
  if (!(v0 > 0)) return none

  const logLambda = -0.5 * Math.log(1 + nr) + ((nr / (1 + nr)) * difference * difference) / (2 * v0)
  const pValue = Math.min(1, Math.exp(-logLambda))
  // An arm at 0% or 100% has no spread of its own; the pooled variance keeps the width honest then.
  const vi = v > 0 ? v : v0
  const half = Math.sqrt(
    ((vi * (1 + nr)) / nr) * (2 * Math.log(1 / options.alpha) + Math.log(1 + nr)),
  )
  const interval: [number, number] = [
    Math.max(-1, difference - half),
    Math.min(1, difference + half),
  ]
  return { ...base, pValue, interval, significant: pValue <= options.alpha }
}

/** What is kept between looks so that the p-value only falls and the interval only narrows. */
export interface SequentialState {
  readonly pValue: number
  readonly interval: readonly [number, number]
}

export const INITIAL_STATE: SequentialState = Object.freeze({
  pValue: 1,
  interval: Object.freeze<[number, number]>([-1, 1]),
})

/**
 * A new look given the state after the previous ones: p-value = running minimum, interval = running
 * intersection (if that would be empty, which the plug-in variance can cause, the current interval).
 */
export function advance(
  previous: SequentialState,
  look: Comparison,
  alpha: number,
): Comparison & SequentialState {
  const pValue = Math.min(previous.pValue, look.pValue)
  const lo = Math.max(previous.interval[0], look.interval[0])
  const hi = Math.min(previous.interval[1], look.interval[1])
  const interval: readonly [number, number] = lo <= hi ? [lo, hi] : look.interval
  return { ...look, pValue, interval, significant: pValue <= alpha }
}

/** Each treatment (arms 1..k-1) against the control (arm 0), at alpha / (k - 1). */
export function compareArms(
  arms: readonly ArmCounts[],
  options: SequentialOptions = DEFAULT_SEQUENTIAL,
): Comparison[] {
  const control = arms[0]
  if (control === undefined || arms.length < 2) return []
  const adjusted = { ...options, alpha: options.alpha / (arms.length - 1) }
  return arms.slice(1).map((arm) => compareProportions(control, arm, adjusted))
}
