import { randomBytes } from 'node:crypto'

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz'

/**
 * A random, prefixed identifier such as `req_4k2j9x...`. The prefix says what the id names
 * (`sub_`, `evt_`, `req_`, `key_`), so a stray id in a log is self-explaining.
 */
export function newId(prefix: string, length = 20): string {
  const bytes = randomBytes(length)
  let out = ''
  for (const byte of bytes) out += ALPHABET[byte % ALPHABET.length]
  return `${prefix}_${out}`
}
