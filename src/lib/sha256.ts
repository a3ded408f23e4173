/**
 * HMAC-SHA256 (RFC 2104 over FIPS 180-4 SHA-256) with each key's padded blocks hashed once, for the hot
 * paths that pseudonymize one short reference after another under the same key (a subject or session
 * reference on every recommendation and every event). `node:crypto` sets the key up afresh on every
 * call and crosses into C++ three times; here a short message costs two compressions in JavaScript.
 * `crypto.test.ts` checks it against `node:crypto` on keys and messages of every shape.
 */

/** The first 32 bits of the fractional parts of the cube roots of the first 64 primes (FIPS 180-4 4.2.2). */
const K = Int32Array.from([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
])

/** The initial hash value (FIPS 180-4 5.3.3). */
const IV = Int32Array.from([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
])

const BLOCK = 64
/** Longest message hashed here; longer ones go to `node:crypto` (the callers' references are short). */
const MAX_MESSAGE = 1024

const w = new Int32Array(64)
const message = Buffer.alloc(MAX_MESSAGE + 2 * BLOCK)
const innerDigest = new Int32Array(8)
const state = new Int32Array(8)

/** One compression of the 64-byte block at `offset` of `bytes` into `h`. */
function compress(h: Int32Array, bytes: Uint8Array, offset: number): void {
  for (let t = 0; t < 16; t++) {
    const i = offset + t * 4
    w[t] = (bytes[i]! << 24) | (bytes[i + 1]! << 16) | (bytes[i + 2]! << 8) | bytes[i + 3]!
  }
  for (let t = 16; t < 64; t++) {
    const x = w[t - 15]!
    const y = w[t - 2]!
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)
    w[t] = (w[t - 16]! + s0 + w[t - 7]! + s1) | 0
  }
  let a = h[0]!
  let b = h[1]!
  let c = h[2]!
  let d = h[3]!
  let e = h[4]!
  let f = h[5]!
  let g = h[6]!
  let k = h[7]!
  for (let t = 0; t < 64; t++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))
    const ch = (e & f) ^ (~e & g)
    const t1 = (k + S1 + ch + K[t]! + w[t]!) | 0
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))
    const maj = (a & b) ^ (a & c) ^ (b & c)
    const t2 = (S0 + maj) | 0
    k = g
    g = f
    f = e
    e = (d + t1) | 0
    d = c
    c = b
    b = a
    a = (t1 + t2) | 0
  }
  h[0] = (h[0]! + a) | 0
  h[1] = (h[1]! + b) | 0
  h[2] = (h[2]! + c) | 0
  h[3] = (h[3]! + d) | 0
  h[4] = (h[4]! + e) | 0
  h[5] = (h[5]! + f) | 0
  h[6] = (h[6]! + g) | 0
  h[7] = (h[7]! + k) | 0
}

/**
 * Hashes `length` bytes at the start of `message` into `h`, which already holds `prefixBlocks` blocks
 * (the key's padded block), adding SHA-256's padding in place.
 */
function finish(h: Int32Array, length: number, prefixBlocks: number): void {
  let end = length
  message[end++] = 0x80
  while (end % BLOCK !== 56) message[end++] = 0
  const bits = (length + prefixBlocks * BLOCK) * 8
  message.writeUInt32BE(Math.floor(bits / 0x100000000), end)
  message.writeUInt32BE(bits >>> 0, end + 4)
  end += 8
  for (let offset = 0; offset < end; offset += BLOCK) compress(h, message, offset)
}

/** A key's inner and outer states after its padded block (RFC 2104: K xor ipad, K xor opad). */
interface Pads {
  inner: Int32Array
  outer: Int32Array
}

function padsOf(key: Uint8Array, sha256: (data: Uint8Array) => Uint8Array): Pads {
  const block = new Uint8Array(BLOCK)
  block.set(key.length > BLOCK ? sha256(key) : key)
  const inner = Int32Array.from(IV)
  const outer = Int32Array.from(IV)
  compress(
    inner,
    block.map((byte) => byte ^ 0x36),
    0,
  )
  compress(
    outer,
    block.map((byte) => byte ^ 0x5c),
    0,
  )
  return { inner, outer }
}

/**
 * HMAC-SHA256 of `data` under `key`, or undefined when `data` is longer than this is for (the caller
 * then uses `node:crypto`). The key's pads are kept with the key (the same bytes object next time).
 */
export function hmacSha256Short(
  key: Uint8Array,
  data: string | Uint8Array,
  sha256: (data: Uint8Array) => Uint8Array,
): Buffer | undefined {
  let length: number
  if (typeof data === 'string') {
    // At most 3 bytes per UTF-16 unit: a string that may not fit is left to node:crypto.
    if (data.length * 3 > MAX_MESSAGE) return undefined
    length = message.write(data, 0, 'utf8')
  } else {
    if (data.length > MAX_MESSAGE) return undefined
    message.set(data, 0)
    length = data.length
  }
  let pads = padCache.get(key)
  if (pads === undefined) {
    pads = padsOf(key, sha256)
    padCache.set(key, pads)
  }
  state.set(pads.inner)
  finish(state, length, 1)
  innerDigest.set(state)
  for (let i = 0; i < 8; i++) message.writeInt32BE(innerDigest[i]!, i * 4)
  state.set(pads.outer)
  finish(state, 32, 1)
  const out = Buffer.allocUnsafe(32)
  for (let i = 0; i < 8; i++) out.writeInt32BE(state[i]!, i * 4)
  return out
}

const padCache = new WeakMap<Uint8Array, Pads>()
