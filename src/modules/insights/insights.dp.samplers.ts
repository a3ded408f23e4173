/**
 * Exact samplers for the noise of differentially private answers.
 *
 * Source: C. L. Canonne, G. Kamath, T. Steinke, "The Discrete Gaussian for Differential Privacy",
 * NeurIPS 2020 (arXiv:2004.00010), Algorithm 1 (Bernoulli(exp(-gamma)) for rational gamma),
 * Algorithm 2 (discrete Laplace) and Algorithm 3 (discrete Gaussian).
 *
 * Why no floating point: I. Mironov, "On Significance of the Least Significant Bits for Differential
 * Privacy" (CCS 2012) shows that a textbook floating-point Laplace sampler leaves holes and biases in
 * the low-order bits of its output, from which the true answer can be read back. These samplers use
 * exact rational (BigInt) arithmetic only and draw uniform integers from a CSPRNG, so the output
 * follows the stated distribution exactly, bit for bit.
 *
 * The `rng` argument is the only source of randomness: tests pass a counting or seeded one, the
 * server uses {@link cryptoRng} (node:crypto).
 */
import { createHash, randomBytes } from 'node:crypto'
import type { Rational } from './insights.js'

/** A source of uniform integers: the only randomness the samplers use. */
export interface UniformRng {
  /** A uniform integer in [0, n), for n >= 1. */
  uniformBelow(n: bigint): bigint
}

/**
 * A uniform draw in [0, n) by rejection from `bytes(k)`: take just enough random bits and retry
 * when the value is >= n (at most half of the draws, so 2 tries on average). No modulo bias.
 */
function uniformFromBytes(n: bigint, bytes: (count: number) => Buffer): bigint {
  if (n < 1n) throw new RangeError('uniformBelow needs n >= 1')
  if (n === 1n) return 0n
  if (n <= SMALL) return BigInt(smallUniform(Number(n), bytes))
  const bits = (n - 1n).toString(2).length
  const byteCount = Math.ceil(bits / 8)
  const excess = BigInt(byteCount * 8 - bits)
  for (;;) {
    const buf = bytes(byteCount)
    let value = 0n
    for (const byte of buf) value = (value << 8n) | BigInt(byte)
    value >>= excess
    if (value < n) return value
  }
}

/** Up to here {@link uniformFromBytes} draws in plain numbers: every value below 2^48 is exact. */
const SMALL = 2n ** 48n

/** Bits of m >= 1 (m < 2^48), exactly: no floating-point logarithm. */
function bitLength(m: number): number {
  const high = Math.floor(m / 2 ** 32)
  return high > 0 ? 64 - Math.clz32(high) : 32 - Math.clz32(m)
}

/**
 * {@link uniformFromBytes} for 2 <= n <= 2^48 in exact integer-valued numbers: the same bytes taken,
 * the same rejections, the same value (so a seeded rng draws what it drew before); 5 to 10 times
 * faster than BigInt, and the discrete Gaussian of a 5,500-cell answer makes about 80,000 draws.
 */
function smallUniform(n: number, bytes: (count: number) => Buffer): number {
  const bits = bitLength(n - 1)
  const byteCount = Math.ceil(bits / 8)
  const excess = 2 ** (byteCount * 8 - bits)
  for (;;) {
    const buf = bytes(byteCount)
    let value = 0
    for (const byte of buf) value = value * 256 + byte
    value = Math.floor(value / excess)
    if (value < n) return value
  }
}

/**
 * A pool of CSPRNG bytes: `randomBytes` is called for 4 KiB at a time, because a call per draw
 * would dominate the cost of a sample.
 */
function createBytePool(fill: (size: number) => Buffer): (count: number) => Buffer {
  let pool: Buffer = Buffer.alloc(0)
  let at = 0
  return (count) => {
    if (at + count > pool.length) {
      pool = fill(Math.max(4096, count))
      at = 0
    }
    const out = pool.subarray(at, at + count)
    at += count
    return out
  }
}

/** The default rng: node:crypto's CSPRNG, buffered, with rejection sampling for exact uniformity. */
export function cryptoRng(): UniformRng {
  const bytes = createBytePool((size) => randomBytes(size))
  return { uniformBelow: (n) => uniformFromBytes(n, bytes) }
}

/**
 * A deterministic rng (SHA-256 in counter mode over `seed`) for reproducible tests and benches.
 * Never for real answers: anyone who knows the seed knows the noise.
 */
export function seededRng(seed: string): UniformRng {
  let counter = 0
  const bytes = createBytePool(() => createHash('sha256').update(`${seed}:${counter++}`).digest())
  return { uniformBelow: (n) => uniformFromBytes(n, bytes) }
}

function assertRational(r: Rational, what: string): void {
  if (r.den <= 0n) throw new RangeError(`${what}: denominator must be positive`)
}

/** Bernoulli(num/den), 0 <= num/den <= 1: one uniform draw. */
function bernoulli(num: bigint, den: bigint, rng: UniformRng): boolean {
  return rng.uniformBelow(den) < num
}

/**
 * Algorithm 1 of CKS 2020: true with probability exp(-gamma), for a rational gamma >= 0.
 * For gamma in [0, 1]: draw A_k ~ Bernoulli(gamma/k) for k = 1, 2, ... until the first A_k = 0 and
 * answer whether that k is odd. For gamma > 1: floor(gamma) independent Bernoulli(exp(-1)) and one
 * Bernoulli(exp(-(gamma - floor(gamma)))) must all succeed.
 */
export function bernoulliExpNeg(gamma: Rational, rng: UniformRng): boolean {
  assertRational(gamma, 'gamma')
  const { num, den } = gamma
  if (num < 0n) throw new RangeError('gamma must be >= 0')
  if (num <= den) {
    let k = 1n
    while (bernoulli(num, den * k, rng)) k += 1n
    return k % 2n === 1n
  }
  const whole = num / den
  const one = { num: 1n, den: 1n }
  for (let i = 0n; i < whole; i += 1n) {
    if (!bernoulliExpNeg(one, rng)) return false
  }
  return bernoulliExpNeg({ num: num - whole * den, den }, rng)
}

/**
 * Algorithm 2 of CKS 2020: the discrete Laplace distribution with scale t > 0,
 * P[X = x] = (e^(1/t) - 1) / (e^(1/t) + 1) * e^(-|x|/t) for every integer x.
 * In the paper's terms the scale is t/s with integers s = t.den and t = t.num.
 */
export function sampleDiscreteLaplace(t: Rational, rng: UniformRng): bigint {
  assertRational(t, 't')
  if (t.num <= 0n) throw new RangeError('t must be > 0')
  const s = t.den
  const tt = t.num
  const one = { num: 1n, den: 1n }
  for (;;) {
    const u = rng.uniformBelow(tt)
    if (!bernoulliExpNeg({ num: u, den: tt }, rng)) continue
    let v = 0n
    while (bernoulliExpNeg(one, rng)) v += 1n
    const y = (u + tt * v) / s
    const negative = rng.uniformBelow(2n) === 1n
    if (negative && y === 0n) continue
    return negative ? -y : y
  }
}

/** floor(sqrt(n)) for n >= 0, by Newton's method on integers. */
export function isqrt(n: bigint): bigint {
  if (n < 0n) throw new RangeError('isqrt of a negative number')
  if (n < 2n) return n
  let x = BigInt(Math.floor(Math.sqrt(Number(n))))
  // Correct the float estimate (it can be off for large n) with Newton steps, then nudge.
  for (;;) {
    const y = (x + n / x) >> 1n
    if (y >= x) break
    x = y
  }
  while (x * x > n) x -= 1n
  while ((x + 1n) * (x + 1n) <= n) x += 1n
  return x
}

/**
 * Algorithm 3 of CKS 2020: the discrete Gaussian with variance parameter sigma2 > 0,
 * P[X = x] proportional to exp(-x^2 / (2 sigma2)) for every integer x.
 * Rejection from the discrete Laplace with scale t = floor(sigma) + 1: a candidate y is kept with
 * probability exp(-(|y| - sigma2/t)^2 / (2 sigma2)).
 */
export function sampleDiscreteGaussian(sigma2: Rational, rng: UniformRng): bigint {
  assertRational(sigma2, 'sigma2')
  if (sigma2.num <= 0n) throw new RangeError('sigma2 must be > 0')
  const { num: n, den: d } = sigma2
  const t = isqrt(n / d) + 1n
  const laplace = { num: t, den: 1n }
  for (;;) {
    const y = sampleDiscreteLaplace(laplace, rng)
    const abs = y < 0n ? -y : y
    // (|y| - n/(d t))^2 / (2 n/d) = (|y| d t - n)^2 / (2 n d t^2)
    const diff = abs * d * t - n
    const gamma = { num: diff * diff, den: 2n * n * d * t * t }
    if (bernoulliExpNeg(gamma, rng)) return y
  }
}
