/**
 * Privacy accounting in zero-concentrated differential privacy (zCDP) and the noise it implies.
 *
 * - M. Bun, T. Steinke, "Concentrated Differential Privacy: Simplifications, Extensions, and Lower
 *   Bounds" (TCC 2016, arXiv:1605.02065): rho-zCDP composes by adding rho (Lemma 2.3); pure
 *   epsilon-DP implies (epsilon^2/2)-zCDP (Prop. 1.4); the Gaussian mechanism with L2 sensitivity
 *   Delta and variance sigma^2 is (Delta^2 / (2 sigma^2))-zCDP (Prop. 1.6); rho-zCDP implies
 *   (rho + 2 sqrt(rho ln(1/delta)), delta)-DP (Prop. 1.3).
 * - C. L. Canonne, G. Kamath, T. Steinke, "The Discrete Gaussian for Differential Privacy" (NeurIPS
 *   2020, arXiv:2004.00010): the discrete Gaussian keeps the Gaussian's rho = Delta^2/(2 sigma^2)
 *   (Theorem 4, and Theorem 14 for vectors), and the tighter zCDP -> (epsilon, delta) conversion of
 *   Corollary 13 used by {@link epsilonForRho}.
 *
 * A query's `epsilon` is its pure-DP equivalent: it is charged rho = epsilon^2/2 whichever noise it
 * uses (discrete Laplace at scale Delta1/epsilon is epsilon-DP, hence epsilon^2/2-zCDP; the discrete
 * Gaussian is calibrated to that rho). Floating point appears here only for display figures and
 * for thresholds that are then rounded in the safe direction; the sampling path is exact.
 */
import type { Mechanism, Rational } from './insights.js'

/** The zCDP cost of a query declared at `epsilon`: rho = epsilon^2 / 2. */
export function rhoForEpsilon(epsilon: number): number {
  return (epsilon * epsilon) / 2
}

/**
 * The epsilon at which rho-zCDP holds as (epsilon, delta)-DP, for display.
 * The tight conversion of CKS 2020 Corollary 13,
 *   epsilon = inf over alpha > 1 of  alpha*rho + (ln(1/delta) + (alpha-1) ln(1 - 1/alpha) - ln(alpha)) / (alpha-1),
 * minimized numerically (the function is convex in alpha on the range searched) and never above the
 * simpler Bun-Steinke 2016 bound rho + 2 sqrt(rho ln(1/delta)) (Prop. 1.3); both are valid upper
 * bounds, so the smaller is.
 *
 * @example epsilonForRho(0.5, 1e-6) // 5.22 (Bun-Steinke alone gives 5.76)
 */
export function epsilonForRho(rho: number, delta: number): number {
  if (!(rho >= 0) || !Number.isFinite(rho)) throw new RangeError('rho must be a finite number >= 0')
  if (!(delta > 0 && delta < 1)) throw new RangeError('delta must be in (0, 1)')
  if (rho === 0) return 0
  const log1d = Math.log(1 / delta)
  const bunSteinke = rho + 2 * Math.sqrt(rho * log1d)
  const at = (alpha: number): number =>
    alpha * rho + (log1d + (alpha - 1) * Math.log(1 - 1 / alpha) - Math.log(alpha)) / (alpha - 1)
  // Golden-section search for the minimum over log(alpha - 1) in a wide range.
  let lo = Math.log(1e-6)
  let hi = Math.log(1e6)
  const g = (Math.sqrt(5) - 1) / 2
  const f = (u: number): number => at(1 + Math.exp(u))
  let a = hi - g * (hi - lo)
  let b = lo + g * (hi - lo)
  let fa = f(a)
  let fb = f(b)
  for (let i = 0; i < 200 && hi - lo > 1e-12; i++) {
    if (fa < fb) {
      hi = b
      b = a
      fb = fa
      a = hi - g * (hi - lo)
      fa = f(a)
    } else {
      lo = a
      a = b
      fa = fb
      b = lo + g * (hi - lo)
      fb = f(b)
    }
  }
  const tight = Math.min(fa, fb)
  return Math.max(0, Number.isFinite(tight) ? Math.min(tight, bunSteinke) : bunSteinke)
}

const DEFAULT_DEN = 1_000_000n

function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a
  let y = b < 0n ? -b : b
  while (y !== 0n) [x, y] = [y, x % y]
  return x
}

/** num/den in lowest terms (den > 0). */
export function reduce(r: Rational): Rational {
  if (r.den === 0n) throw new RangeError('zero denominator')
  const sign = r.den < 0n ? -1n : 1n
  const g = gcd(r.num, r.den) || 1n
  return { num: (sign * r.num) / g, den: (sign * r.den) / g }
}

/**
 * The largest rational with denominator `den` that is <= x (x >= 0). Used for epsilon: a slightly
 * smaller epsilon means slightly more noise, so privacy never weakens by rounding.
 */
export function rationalAtMost(x: number, den: bigint = DEFAULT_DEN): Rational {
  if (!(x >= 0) || !Number.isFinite(x)) throw new RangeError('expected a finite number >= 0')
  const scaled = Math.floor(x * Number(den))
  // Guard against the float product rounding up past x.
  let num = BigInt(scaled)
  while (Number(num) / Number(den) > x && num > 0n) num -= 1n
  return reduce({ num, den })
}

/** The smallest rational with denominator `den` that is >= x (x >= 0); for noise scales. */
export function rationalAtLeast(x: number, den: bigint = DEFAULT_DEN): Rational {
  if (!(x >= 0) || !Number.isFinite(x)) throw new RangeError('expected a finite number >= 0')
  let num = BigInt(Math.ceil(x * Number(den)))
  while (Number(num) / Number(den) < x) num += 1n
  return reduce({ num, den })
}

/** A rational as a float, for display. */
export function toNumber(r: Rational): number {
  return Number(r.num) / Number(r.den)
}

/**
 * The noise one release component gets, in exact terms: the discrete Gaussian's sigma^2 or the
 * discrete Laplace's scale t, for a component with sensitivity `l2` / `l1` (integers) that may
 * spend `share` of the query's budget at `epsilon`.
 * Gaussian: rho' = share * epsilon^2 / 2 and sigma^2 = l2^2 / (2 rho') = l2^2 / (share * epsilon^2).
 * Laplace: epsilon' = share * epsilon and t = l1 / epsilon'.
 * Epsilon is rounded DOWN to a rational first, so the noise is never smaller than the exact figure.
 */
export function noiseFor(
  mechanism: Mechanism,
  sens: { l1: number; l2Squared: number },
  share: Rational,
  epsilon: number,
): Rational {
  const e = rationalAtMost(epsilon)
  if (e.num <= 0n) throw new RangeError('epsilon must be > 0')
  if (mechanism === 'gaussian') {
    const l2sq = BigInt(Math.ceil(sens.l2Squared))
    // l2^2 / (share * e^2) = l2^2 * share.den * e.den^2 / (share.num * e.num^2)
    return reduce({ num: l2sq * share.den * e.den * e.den, den: share.num * e.num * e.num })
  }
  const l1 = BigInt(Math.ceil(sens.l1))
  return reduce({ num: l1 * share.den * e.den, den: share.num * e.num })
}

/** The noise's standard scale in the answer's units: sigma (Gaussian) or t (Laplace). */
export function noiseScaleOf(mechanism: Mechanism, param: Rational): number {
  return mechanism === 'gaussian' ? Math.sqrt(toNumber(param)) : toNumber(param)
}

/**
 * P[Z >= q] for the noise Z (q an integer >= 0). Laplace: closed form r^q / (1 + r) with
 * r = exp(-1/t). Gaussian: the series of exp(-x^2 / (2 sigma^2)) summed until its terms vanish
 * (relative error of a few ulps; callers round thresholds to the safe side).
 */
export function upperTail(mechanism: Mechanism, param: Rational, q: number): number {
  if (mechanism === 'gaussian') return gaussianTail(toNumber(param), q)
  const r = Math.exp(-1 / toNumber(param))
  // For q <= 0, P[Z >= q] = 1 - P[Z <= q - 1] = 1 - P[Z >= 1 - q] by symmetry.
  return q >= 1 ? Math.pow(r, q) / (1 + r) : 1 - Math.pow(r, 1 - q) / (1 + r)
}

/** The discrete Gaussian's unnormalized weights, their reach and their total. */
function gaussianMass(sigma2: number): { w: (x: number) => number; reach: number; total: number } {
  const w = (x: number): number => Math.exp(-(x * x) / (2 * sigma2))
  const reach = Math.ceil(Math.sqrt(2 * sigma2 * 745)) + 2 // exp(-745) underflows to 0
  let total = 0
  for (let x = reach; x >= 1; x--) total += 2 * w(x) // smaller terms first, for accuracy
  return { w, reach, total: total + 1 }
}

/** P[Z >= q] for the discrete Gaussian, by direct summation (a few ulps of relative error). */
function gaussianTail(sigma2: number, q: number): number {
  const { w, reach, total } = gaussianMass(sigma2)
  let tail = 0
  for (let x = reach; x >= q; x--) tail += w(x)
  return tail / total
}

/**
 * The smallest integer q >= 0 with P[|Z| <= q] >= level: the half-width of the exact `level`
 * interval around a noisy value (the noise is symmetric, so the interval is value -/+ q).
 * One pass over the pmf, so it stays cheap at large scales.
 */
export function halfWidth(mechanism: Mechanism, param: Rational, level = 0.95): number {
  if (mechanism === 'laplace') {
    // P[|Z| > q] = 2 P[Z >= q+1], closed form.
    let q = 0
    while (2 * upperTail(mechanism, param, q + 1) > 1 - level) q++
    return q
  }
  const { w, total } = gaussianMass(toNumber(param))
  let q = 0
  let cover = 1
  while (cover / total < level) {
    q++
    cover += 2 * w(q)
  }
  return q
}

/**
 * The smallest integer q with P[Z >= q] <= target: a value that noise alone exceeds with
 * probability at most `target` (for the partition-selection threshold).
 */
export function tailQuantile(mechanism: Mechanism, param: Rational, target: number): number {
  if (!(target > 0 && target < 1)) throw new RangeError('target must be in (0, 1)')
  if (mechanism === 'laplace') {
    let q = 0
    const step = Math.max(1, Math.ceil(toNumber(param)))
    while (upperTail(mechanism, param, q + step) > target) q += step
    while (upperTail(mechanism, param, q) > target) q++
    return q
  }
  // Walk down from the far tail: the first x whose tail mass exceeds the target gives q = x + 1.
  const { w, reach, total } = gaussianMass(toNumber(param))
  let tail = 0
  for (let x = reach; x >= -reach; x--) {
    tail += w(x)
    if (tail / total > target) return x + 1
  }
  return -reach
}
