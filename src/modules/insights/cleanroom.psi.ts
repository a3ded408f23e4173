/**
 * The clean room's private set intersection (Diffie-Hellman PSI over ristretto255, `@noble/curves`),
 * shared by the partner's CLI (`candor cleanroom blind|reblind`) and the server. An e-mail address x is
 * normalized, hashed to the group (RFC 9380 hash-to-group with a Candor domain-separation tag) and raised
 * to a secret scalar: H(x)^a on the partner's side, H(y)^b on Candor's. Exponentiation commutes, so the
 * doubly blinded H(x)^(ab) and H(y)^(ba) are equal exactly when x = y, and neither side can undo the
 * other's blinding (discrete logarithm), so neither learns the other's non-matching addresses.
 *
 * Candor's scalar b is derived per upload with HKDF from a key-file secret and the upload id
 * (`uploadScalar`): it is never stored, and values from two uploads cannot be linked. A partner's scalar
 * comes from its own 32-byte key file (`partnerScalar`). No I/O here but the CSPRNG.
 */
import { hkdfSync, randomBytes, randomInt } from 'node:crypto'
import { ristretto255, ristretto255_hasher } from '@noble/curves/ed25519.js'

const Point = ristretto255.Point
type GroupElement = InstanceType<typeof Point>

/** The hash-to-group domain-separation tag: a Candor address never hashes like anyone else's input. */
export const PSI_DST = 'candor-cleanroom-v1_ristretto255_XMD:SHA-512_R255MAP_RO_'
/** HKDF labels: the per-upload scalar from a key-file secret, and a partner's from its key file. */
const UPLOAD_SCALAR_LABEL = 'candor/cleanroom/upload-scalar/v1:'
const PARTNER_SCALAR_LABEL = 'candor/cleanroom/partner-scalar/v1'
const PADDING_LABEL = 'candor/cleanroom/padding/v1'
/** A blinded value on the wire: one ristretto255 encoding as 64 hex digits. */
export const BLINDED_HEX = /^[0-9a-fA-F]{64}$/

/**
 * The one normal form of an address on both sides: Unicode NFC, surrounding spaces trimmed, lower
 * case. `' Ana@Example.COM '` and `'ana@example.com'` blind to the same value.
 */
export function normalizeAddress(address: string): string {
  return address.normalize('NFC').trim().toLowerCase()
}

/** A scalar in [1, n) from 64 uniform bytes (the reduction's bias is below 2^-250). */
function scalarFrom(secret: Uint8Array, info: string): bigint {
  const bytes = Buffer.from(hkdfSync('sha512', secret, Buffer.alloc(0), info, 64))
  const scalar = BigInt(`0x${bytes.toString('hex')}`) % Point.Fn.ORDER
  if (scalar === 0n) throw new Error('derived a zero scalar')
  return scalar
}

/** Candor's blinding scalar for one upload, from a key-file secret (HKDF; never stored). */
export function uploadScalar(secret: Uint8Array, uploadId: string): bigint {
  return scalarFrom(secret, `${UPLOAD_SCALAR_LABEL}${uploadId}`)
}

/** A partner's blinding scalar, from the 32 random bytes of its key file. */
export function partnerScalar(secret: Uint8Array): bigint {
  if (secret.length !== 32) throw new Error('a clean-room key is 32 bytes')
  return scalarFrom(secret, PARTNER_SCALAR_LABEL)
}

/** H(x): the normalized address hashed to ristretto255 under the Candor tag. */
export function hashAddress(address: string): GroupElement {
  return ristretto255_hasher.hashToCurve(Buffer.from(normalizeAddress(address), 'utf8'), {
    DST: PSI_DST,
  })
}

/** H(x)^k as 64 lower-case hex digits. */
export function blindAddress(address: string, scalar: bigint): string {
  return hashAddress(address).multiply(scalar).toHex()
}

/**
 * Parses a blinded value: 64 hex digits (any case) encoding a ristretto255 element other than the
 * identity. Returns undefined for anything else, so a caller reports the position, never the value.
 */
export function parseBlinded(hex: string): GroupElement | undefined {
  if (!BLINDED_HEX.test(hex)) return undefined
  try {
    const point = Point.fromHex(hex.toLowerCase())
    return point.is0() ? undefined : point
  } catch {
    return undefined
  }
}

/** Raises an already blinded value to the scalar: H(x)^a -> H(x)^(ab). Undefined when not valid. */
export function reblind(hex: string, scalar: bigint): string | undefined {
  return parseBlinded(hex)?.multiply(scalar).toHex()
}

/** A random group element, to pad a list so its length does not tell how many subjects are in it. */
export function randomElement(): string {
  return Point.BASE.multiply(scalarFrom(randomBytes(32), PADDING_LABEL)).toHex()
}

/** A uniformly random permutation of the list (Fisher-Yates with node:crypto), in place. */
export function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = randomInt(i + 1)
    const swap = items[i] as T
    items[i] = items[j] as T
    items[j] = swap
  }
  return items
}

/**
 * Maps `work` over `items` a slice at a time, giving the event loop a turn between slices: one element
 * costs about a millisecond, and a server blinding tens of thousands must keep answering meanwhile.
 */
export async function mapInSlices<T, R>(
  items: readonly T[],
  work: (item: T, index: number) => R,
  slice = 64,
): Promise<R[]> {
  const out: R[] = []
  for (let start = 0; start < items.length; start += slice) {
    if (start > 0) await new Promise<void>((resolve) => setImmediate(resolve))
    const end = Math.min(items.length, start + slice)
    for (let i = start; i < end; i++) out.push(work(items[i] as T, i))
  }
  return out
}
