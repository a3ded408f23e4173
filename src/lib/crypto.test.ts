import { createHmac, randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { hmacSha256 } from './crypto.js'

const reference = (key: Uint8Array, data: string | Uint8Array) =>
  createHmac('sha256', key).update(data).digest('hex')

describe('hmacSha256', () => {
  it('equals node:crypto for keys and messages of every length around the block edges', () => {
    for (const keyLength of [0, 1, 31, 32, 63, 64, 65, 100, 200]) {
      const key = randomBytes(keyLength)
      for (let length = 0; length <= 200; length++) {
        const bytes = randomBytes(length)
        expect(hmacSha256(key, bytes).toString('hex'), `key ${keyLength}, ${length} bytes`).toBe(
          reference(key, bytes),
        )
        const text = 'subject:'.padEnd(length, 'x')
        expect(hmacSha256(key, text).toString('hex')).toBe(reference(key, text))
      }
    }
  })

  it('encodes text as UTF-8, and hashes long messages', () => {
    const key = randomBytes(32)
    for (const text of ['session:café', 'subject:😀 ü ß 中文', 'é'.repeat(400), 'x'.repeat(5000)])
      expect(hmacSha256(key, text).toString('hex')).toBe(reference(key, text))
    expect(hmacSha256(key, randomBytes(3000)).length).toBe(32)
  })

  it('keeps each key apart', () => {
    const keys = [randomBytes(32), randomBytes(32), randomBytes(32)]
    for (let round = 0; round < 3; round++)
      for (const key of keys)
        expect(hmacSha256(key, `subject:c-${round}`).toString('hex')).toBe(
          reference(key, `subject:c-${round}`),
        )
  })
})
