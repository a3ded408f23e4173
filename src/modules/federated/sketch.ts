/**
 * The client side of federated learning with local differential privacy: Apple's count-mean sketch
 * (CMS; Apple Differential Privacy Team, "Learning with Privacy at Scale", 2017) over item pairs.
 *
 * A browser holding the pair {a, b} of items from its own history sends one report: a hash row j
 * chosen uniformly from k, and m bits that are the one-hot vector of bucket h_j({a, b}) in +-1 form
 * with every bit flipped independently with probability p = 1 / (1 + e^(epsilon/2)). Two pairs
 * differ in at most two bits of the vector for the same j, so any report is at most
 * ((1 - p) / p)^2 = e^epsilon times likelier under one pair than under another: epsilon-local DP per
 * report. The server (`aggregate.ts`) adds reports up and gets unbiased pair counts.
 *
 * This file runs in browsers and in Node 20 alike: no Node imports, randomness from Web Crypto
 * (`globalThis.crypto.getRandomValues`). The SDK imports it as it is.
 */

/** The sketch's public shape; the server publishes it and every report must match it. */
export interface SketchShape {
  /** Buckets per hash row (a power of two, 16..4096): bits per report. */
  readonly m: number
  /** Hash rows (a power of two, 1..1024). */
  readonly k: number
}

/** The shape Candor uses: 1024 bits (128 bytes) per report, 16 hash rows. */
export const DEFAULT_SKETCH: SketchShape = Object.freeze({ m: 1024, k: 16 })

/** One private report: the hash row and the m noisy bits, packed 8 to a byte (bit b in byte b>>3). */
export interface SketchReport {
  readonly row: number
  readonly bits: Uint8Array
}

/** A source of uniform 32-bit words (tests drive the encoder with their own). */
export type RandomWords = (count: number) => Uint32Array

/** Web Crypto's random words (browsers and Node 20), 16,384 at most per call as the API allows. */
export const cryptoWords: RandomWords = (count) => {
  const out = new Uint32Array(count)
  for (let at = 0; at < count; at += 16_384)
    globalThis.crypto.getRandomValues(out.subarray(at, Math.min(count, at + 16_384)))
  return out
}

/**
 * A seeded source of words (splitmix32) for simulations: the same reports on every run. Never for
 * real reports, which take `cryptoWords`.
 */
export function seededWords(seed: number): RandomWords {
  let s = seed >>> 0
  return (count) => {
    const out = new Uint32Array(count)
    for (let i = 0; i < count; i++) {
      s = (s + 0x9e3779b9) >>> 0
      let z = s
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
      out[i] = (z ^ (z >>> 16)) >>> 0
    }
    return out
  }
}

function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0
}

/** Throws a RangeError unless the shape is one the encoder and the aggregator support. */
export function assertSketchShape(shape: SketchShape): void {
  if (!isPowerOfTwo(shape.m) || shape.m < 16 || shape.m > 4096)
    throw new RangeError('m must be a power of two from 16 to 4096')
  if (!isPowerOfTwo(shape.k) || shape.k > 1024)
    throw new RangeError('k must be a power of two from 1 to 1024')
}

/**
 * The flip threshold for epsilon: a bit flips when its random word is below it, so its flip
 * probability is exactly threshold / 2^32. Rounded up, so that the real p is never below
 * 1 / (1 + e^(epsilon/2)) and the privacy ratio ((1 - p) / p)^2 never above e^epsilon.
 */
export function flipThreshold(epsilon: number): number {
  if (!(epsilon > 0) || !(epsilon <= 20)) throw new RangeError('epsilon must be in (0, 20]')
  return Math.ceil(2 ** 32 / (1 + Math.exp(epsilon / 2)))
}

/** MurmurHash3's 32-bit finaliser: every input bit reaches every output bit. */
function fmix32(h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/**
 * Hash of an item id for hash row j (MurmurHash3-style mixing of its UTF-16 code units with a
 * per-row seed). Not a secret: the privacy comes from the noise, not from the hash.
 */
export function itemHash(id: string, row: number): number {
  let h = Math.imul(row + 1, 0x9e3779b1) >>> 0
  for (let c = 0; c < id.length; c++) {
    let x = Math.imul(id.charCodeAt(c), 0xcc9e2d51)
    x = Math.imul((x << 15) | (x >>> 17), 0x1b873593)
    h ^= x
    h = (Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64) >>> 0
  }
  return fmix32(h ^ id.length)
}

/**
 * The bucket of an unordered pair in hash row j from its items' row hashes, lower id first (ids
 * compared as strings, as `pairBucket` orders them). The server computes it in bulk from the same
 * item hashes.
 */
export function bucketOfHashes(first: number, second: number, m: number): number {
  return fmix32((Math.imul(first, 0x9e3779b1) ^ second) >>> 0) & (m - 1)
}

/** The bucket of the unordered pair {a, b} in hash row j. */
export function pairBucket(a: string, b: string, row: number, m: number): number {
  const [lo, hi] = a < b ? [a, b] : [b, a]
  return bucketOfHashes(itemHash(lo, row), itemHash(hi, row), m)
}

/**
 * One epsilon-LDP report of the pair {a, b} (two different item ids).
 *
 * @example
 * const report = encodePair('85123A', '22423', 4, DEFAULT_SKETCH)
 * // post toWire(report) with the epsilon it was made with
 */
export function encodePair(
  a: string,
  b: string,
  epsilon: number,
  shape: SketchShape = DEFAULT_SKETCH,
  random: RandomWords = cryptoWords,
): SketchReport {
  assertSketchShape(shape)
  if (a === b) throw new RangeError('a pair needs two different items')
  const threshold = flipThreshold(epsilon)
  const { m, k } = shape
  const words = random(m + 1)
  // The row is the top log2(k) bits of a uniform word: uniform, and independent of the pair.
  const row = k === 1 ? 0 : words[m]! >>> (32 - Math.log2(k))
  const bucket = pairBucket(a, b, row, m)
  const bits = new Uint8Array(m >>> 3)
  for (let i = 0; i < m; i++) {
    const one = (i === bucket) !== words[i]! < threshold
    if (one) bits[i >>> 3]! |= 1 << (i & 7)
  }
  return { row, bits }
}

/** A report as it travels: `{row, bits}` with the bits in base64. */
export interface WireReport {
  readonly row: number
  readonly bits: string
}

export function toWire(report: SketchReport): WireReport {
  let text = ''
  for (const byte of report.bits) text += String.fromCharCode(byte)
  return { row: report.row, bits: btoa(text) }
}

/** The report back from the wire, or undefined when its bits are not m bits of base64. */
export function fromWire(wire: WireReport, shape: SketchShape): SketchReport | undefined {
  let text: string
  try {
    text = atob(wire.bits)
  } catch {
    return undefined
  }
  if (text.length !== shape.m >>> 3) return undefined
  const bits = Uint8Array.from(text, (c) => c.charCodeAt(0))
  return { row: wire.row, bits }
}
