import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'

const IV_BYTES = 12
const TAG_BYTES = 16

/**
 * AES-256-GCM with a random 96-bit IV; the output is `iv | tag | ciphertext`. `aad` binds the ciphertext
 * to its context (a subject id, a key id), so a row copied onto another subject fails to decrypt.
 */
export function seal(key: Uint8Array, plaintext: Uint8Array, aad: string): Buffer {
  const iv = randomBytes(IV_BYTES)
  const cipher = createCipheriv('aes-256-gcm', key, iv)
  cipher.setAAD(Buffer.from(aad, 'utf8'))
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()])
  return Buffer.concat([iv, cipher.getAuthTag(), body])
}

/** Reverses `seal`; throws when the key, the AAD or any byte is wrong. */
export function open(key: Uint8Array, sealed: Uint8Array, aad: string): Buffer {
  const buffer = Buffer.from(sealed)
  const iv = buffer.subarray(0, IV_BYTES)
  const tag = buffer.subarray(IV_BYTES, IV_BYTES + TAG_BYTES)
  const decipher = createDecipheriv('aes-256-gcm', key, iv)
  decipher.setAAD(Buffer.from(aad, 'utf8'))
  decipher.setAuthTag(tag)
  return Buffer.concat([decipher.update(buffer.subarray(IV_BYTES + TAG_BYTES)), decipher.final()])
}
