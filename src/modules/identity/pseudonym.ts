import { hmacSha256 } from '../../lib/crypto.js'
import type { Keyring } from './keyring.js'

/**
 * A shop's customer reference becomes a subject id by keyed HMAC-SHA256: the same reference always
 * gives the same id under the same key, and nobody without the key file can go back. The raw reference
 * is never stored.
 *
 * @example pseudonymize(keyring, 'customer-17850') // 'sub_p1_Jx1...'
 */
export function pseudonymize(keyring: Keyring, customerRef: string): string {
  const key = keyring.pseudonym.active
  const mac = hmacSha256(key.secret, `subject:${customerRef}`).subarray(0, 20)
  return `sub_${key.id}_${mac.toString('base64url')}`
}
