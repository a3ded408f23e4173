import { describe, expect, it, vi } from 'vitest'
import {
  epsilonForRho,
  halfWidth,
  noiseFor,
  rationalAtLeast,
  rationalAtMost,
  rhoForEpsilon,
  tailQuantile,
  upperTail,
} from './insights.dp.accounting.js'
import {
  bernoulliExpNeg,
  cryptoRng,
  isqrt,
  sampleDiscreteGaussian,
  sampleDiscreteLaplace,
  seededRng,
  type UniformRng,
} from './insights.dp.samplers.js'
import type { Rational } from './insights.js'

/**
 * Chi-square critical values at significance 1e-5 for 1..15 degrees of freedom (scipy
 * chi2.isf(1e-5, df), rounded up). Each goodness-of-fit test below therefore fails by chance with
 * probability at most 1e-5 when the sampler is right: at most 7e-5 for the seven scales together.
 */
const CHI2_CRIT_1E5 = [
  19.52, 23.03, 25.91, 28.48, 30.86, 33.11, 35.26, 37.34, 39.35, 41.3, 43.21, 45.08, 46.92, 48.72,
  50.5,
]
const DRAWS = 30_000
const MAX_BINS = 16
const MIN_EXPECTED = 40

/** The exact pmf on [-reach, reach] (the mass beyond is below 1e-300). */
type Pmf = (x: number) => number

function gaussianPmf(sigma2: number): { pmf: Pmf; reach: number } {
  const reach = Math.ceil(Math.sqrt(2 * sigma2 * 700)) + 1
  let total = 0
  for (let x = -reach; x <= reach; x++) total += Math.exp(-(x * x) / (2 * sigma2))
  return { pmf: (x) => Math.exp(-(x * x) / (2 * sigma2)) / total, reach }
}

function laplacePmf(t: number): { pmf: Pmf; reach: number } {
  const r = Math.exp(-1 / t)
  return { pmf: (x) => ((1 - r) / (1 + r)) * Math.pow(r, Math.abs(x)), reach: Math.ceil(700 * t) }
}

/**
 * Bins of consecutive integers, each with expected count >= MIN_EXPECTED, at most MAX_BINS, the
 * outermost bins open-ended (so every draw lands in a bin). Returns the bins' upper edges and masses.
 */
function binsOf(pmf: Pmf, reach: number, draws: number): { upper: number[]; mass: number[] } {
  const target = Math.max(MIN_EXPECTED / draws, 1 / MAX_BINS)
  const upper: number[] = []
  const mass: number[] = []
  let acc = 0
  for (let x = -reach; x <= reach; x++) {
    acc += pmf(x)
    if (acc >= target) {
      upper.push(x)
      mass.push(acc)
      acc = 0
    }
  }
  // Fold the remainder into the last bin and make the last bin open-ended.
  mass[mass.length - 1]! += acc
  upper[upper.length - 1] = Infinity
  return { upper, mass }
}

function chiSquare(samples: number[], bins: { upper: number[]; mass: number[] }): number {
  const counts = new Array<number>(bins.upper.length).fill(0)
  for (const s of samples) {
    const i = bins.upper.findIndex((u) => s <= u)
    counts[i]! += 1
  }
  return counts.reduce((stat, c, i) => {
    const e = bins.mass[i]! * samples.length
    return stat + ((c - e) * (c - e)) / e
  }, 0)
}

function critical(bins: { upper: number[] }): number {
  const df = bins.upper.length - 1
  const value = CHI2_CRIT_1E5[df - 1]
  if (value === undefined) throw new Error(`no critical value for ${df} degrees of freedom`)
  return value
}

describe('discrete Gaussian sampler (CKS 2020 Algorithm 3)', () => {
  const rng = cryptoRng()
  for (const sigma of [0.5, 1, 3, 10]) {
    it(`fits the exact pmf at sigma ${sigma} (chi-square, alpha 1e-5) and rejects a 10% wider one`, () => {
      const sigma2: Rational = rationalAtLeast(sigma * sigma)
      const samples = Array.from({ length: DRAWS }, () =>
        Number(sampleDiscreteGaussian(sigma2, rng)),
      )
      const exact = gaussianPmf(sigma * sigma)
      const bins = binsOf(exact.pmf, exact.reach, DRAWS)
      expect(bins.upper.length).toBeGreaterThanOrEqual(3)
      expect(chiSquare(samples, bins)).toBeLessThan(critical(bins))
      // Power: the same draws against a pmf whose sigma is 10% larger must fail the test.
      const wrong = gaussianPmf(1.21 * sigma * sigma)
      const wrongBins = binsOf(wrong.pmf, wrong.reach, DRAWS)
      expect(chiSquare(samples, wrongBins)).toBeGreaterThan(critical(wrongBins))
    })
  }
})

describe('discrete Laplace sampler (CKS 2020 Algorithm 2)', () => {
  const rng = cryptoRng()
  for (const t of [0.5, 2, 8]) {
    it(`fits the exact pmf at scale ${t} (chi-square, alpha 1e-5) and rejects a 10% wider one`, () => {
      const samples = Array.from({ length: DRAWS }, () =>
        Number(sampleDiscreteLaplace(rationalAtLeast(t), rng)),
      )
      const exact = laplacePmf(t)
      const bins = binsOf(exact.pmf, exact.reach, DRAWS)
      expect(chiSquare(samples, bins)).toBeLessThan(critical(bins))
      const wrong = laplacePmf(1.1 * t)
      const wrongBins = binsOf(wrong.pmf, wrong.reach, DRAWS)
      expect(chiSquare(samples, wrongBins)).toBeGreaterThan(critical(wrongBins))
    })
  }
})

describe('Bernoulli(exp(-gamma)) (CKS 2020 Algorithm 1)', () => {
  it('is always true at gamma 0', () => {
    const rng = cryptoRng()
    for (let i = 0; i < 200; i++) expect(bernoulliExpNeg({ num: 0n, den: 1n }, rng)).toBe(true)
  })

  // |z| < 5 fails by chance with probability below 1e-6 per gamma (normal approximation).
  for (const [num, den] of [
    [1n, 3n],
    [1n, 1n],
    [5n, 2n],
    [9n, 2n],
  ] as const) {
    it(`succeeds with probability exp(-${num}/${den})`, () => {
      const rng = cryptoRng()
      const n = 40_000
      let hits = 0
      for (let i = 0; i < n; i++) if (bernoulliExpNeg({ num, den }, rng)) hits++
      const p = Math.exp(-Number(num) / Number(den))
      const z = (hits - n * p) / Math.sqrt(n * p * (1 - p))
      expect(Math.abs(z)).toBeLessThan(5)
    })
  }

  it('refuses a negative gamma or a zero denominator', () => {
    const rng = cryptoRng()
    expect(() => bernoulliExpNeg({ num: -1n, den: 2n }, rng)).toThrow(/gamma/)
    expect(() => bernoulliExpNeg({ num: 1n, den: 0n }, rng)).toThrow(/denominator/)
  })
})

describe('the rng is the only randomness', () => {
  /** Wraps an rng and counts its draws. */
  function counting(inner: UniformRng): UniformRng & { draws: number } {
    const wrapped = {
      draws: 0,
      uniformBelow(n: bigint): bigint {
        wrapped.draws++
        return inner.uniformBelow(n)
      },
    }
    return wrapped
  }

  it('the same seeded rng gives the same samples and the same number of draws; Math.random is never called', () => {
    const spy = vi.spyOn(Math, 'random')
    const run = (): { xs: bigint[]; draws: number } => {
      const rng = counting(seededRng('samplers'))
      const xs = [
        ...Array.from({ length: 200 }, () => sampleDiscreteGaussian({ num: 9n, den: 1n }, rng)),
        ...Array.from({ length: 200 }, () => sampleDiscreteLaplace({ num: 5n, den: 2n }, rng)),
      ]
      return { xs, draws: rng.draws }
    }
    const a = run()
    const b = run()
    expect(a.xs).toEqual(b.xs)
    expect(a.draws).toBe(b.draws)
    expect(a.draws).toBeGreaterThan(400)
    expect(new Set(a.xs).size).toBeGreaterThan(5)
    expect(spy).not.toHaveBeenCalled()
    spy.mockRestore()
  })

  it('a constant rng makes the sampler deterministic', () => {
    // An rng that always answers n - 1: U = t - 1 = 6 is kept (the first Bernoulli(gamma/k) fails
    // at k = 1, odd), the first Bernoulli(exp(-1)) fails at k = 2 (even) so V = 0, Y = floor(6/2)
    // = 3, and the sign bit 1 makes it negative.
    const high: UniformRng = { uniformBelow: (n) => n - 1n }
    expect(sampleDiscreteLaplace({ num: 7n, den: 2n }, high)).toBe(-3n)
  })

  it('uniform draws from the crypto rng stay in range and cover it', () => {
    const rng = cryptoRng()
    const seen = new Set<bigint>()
    for (let i = 0; i < 2000; i++) {
      const x = rng.uniformBelow(7n)
      expect(x >= 0n && x < 7n).toBe(true)
      seen.add(x)
    }
    expect(seen.size).toBe(7)
    const big = 2n ** 130n + 3n
    for (let i = 0; i < 50; i++) expect(rng.uniformBelow(big) < big).toBe(true)
  })
})

describe('accounting', () => {
  it('charges rho = epsilon^2 / 2', () => {
    expect(rhoForEpsilon(1)).toBe(0.5)
    expect(rhoForEpsilon(0.2)).toBeCloseTo(0.02, 12)
  })

  it('converts rho to epsilon like the reference cdp_eps of CKS 2020 and below Bun-Steinke', () => {
    // Reference values: Steinke's cdp2adp.py (cdp_eps), the code accompanying arXiv:2004.00010.
    const reference: [number, number, number][] = [
      [0.5, 1e-6, 5.221534444530169],
      [2, 1e-6, 11.688596249354894],
      [0.125, 1e-5, 2.1657155451754853],
      [0.01, 1e-9, 0.8101744678675342],
    ]
    for (const [rho, delta, eps] of reference) {
      expect(epsilonForRho(rho, delta)).toBeCloseTo(eps, 6)
      expect(epsilonForRho(rho, delta)).toBeLessThanOrEqual(
        rho + 2 * Math.sqrt(rho * Math.log(1 / delta)),
      )
    }
    expect(epsilonForRho(0, 1e-6)).toBe(0)
    expect(() => epsilonForRho(1, 0)).toThrow(/delta/)
  })

  it('rounds epsilon down and scales up, so noise is never below the exact figure', () => {
    const e = rationalAtMost(0.1)
    expect(Number(e.num) / Number(e.den)).toBeLessThanOrEqual(0.1)
    const s = rationalAtLeast(Math.PI)
    expect(Number(s.num) / Number(s.den)).toBeGreaterThanOrEqual(Math.PI)
    // sigma^2 = l2^2 / (share * eps^2): l2^2 = 100, share 1/2, eps 1 -> 200.
    expect(noiseFor('gaussian', { l1: 10, l2Squared: 100 }, { num: 1n, den: 2n }, 1)).toEqual({
      num: 200n,
      den: 1n,
    })
    // t = l1 / (share * eps): 10 / (1 * 0.5) = 20.
    expect(noiseFor('laplace', { l1: 10, l2Squared: 100 }, { num: 1n, den: 1n }, 0.5)).toEqual({
      num: 20n,
      den: 1n,
    })
  })

  it('the 95% half-width is the smallest that covers 95% of the exact pmf', () => {
    for (const sigma2 of [0.25, 1, 9, 100, 961]) {
      const { pmf } = gaussianPmf(sigma2)
      const q = halfWidth('gaussian', rationalAtLeast(sigma2))
      const cover = (w: number): number => {
        let m = 0
        for (let x = -w; x <= w; x++) m += pmf(x)
        return m
      }
      expect(cover(q)).toBeGreaterThanOrEqual(0.95)
      if (q > 0) expect(cover(q - 1)).toBeLessThan(0.95)
    }
    for (const t of [0.5, 2, 8]) {
      const { pmf } = laplacePmf(t)
      const q = halfWidth('laplace', rationalAtLeast(t))
      let m = 0
      for (let x = -q; x <= q; x++) m += pmf(x)
      expect(m).toBeGreaterThanOrEqual(0.95)
      expect(m - pmf(q) - pmf(-q)).toBeLessThan(0.95)
    }
  })

  it('tail quantiles are the smallest integers whose tail is at most the target', () => {
    for (const [mech, param] of [
      ['gaussian', { num: 120n, den: 1n }],
      ['laplace', { num: 8n, den: 1n }],
    ] as const) {
      for (const target of [1e-3, 1e-8]) {
        const q = tailQuantile(mech, param, target)
        expect(upperTail(mech, param, q)).toBeLessThanOrEqual(target)
        expect(upperTail(mech, param, q - 1)).toBeGreaterThan(target)
      }
    }
  })

  it('integer square roots are exact', () => {
    for (const n of [0n, 1n, 2n, 3n, 4n, 15n, 16n, 17n, 10n ** 30n, 10n ** 30n - 1n]) {
      const r = isqrt(n)
      expect(r * r <= n && (r + 1n) * (r + 1n) > n).toBe(true)
    }
  })
})
