import { randomBytes } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  blindAddress,
  normalizeAddress,
  parseBlinded,
  partnerScalar,
  reblind,
  shuffle,
  uploadScalar,
} from './cleanroom.psi.js'

const address = fc
  .tuple(fc.stringMatching(/^[a-z0-9._]{1,12}$/), fc.stringMatching(/^[a-z0-9]{1,10}$/))
  .map(([local, domain]) => `${local}@${domain}.example`)

describe('clean-room PSI', () => {
  const a = partnerScalar(randomBytes(32))
  const b = uploadScalar(randomBytes(32), 'cru_test')

  it('normalizes case, spaces and Unicode form the same way on both sides', () => {
    expect(normalizeAddress('  Ana@Example.COM\t')).toBe('ana@example.com')
    expect(normalizeAddress('Jose\u0301@x.example')).toBe(normalizeAddress('Jos\u00e9@x.example'))
    expect(blindAddress(' ANA@example.com', a)).toBe(blindAddress('ana@example.com', a))
  })

  it('doubly blinded values meet exactly when the addresses are equal', () => {
    fc.assert(
      fc.property(address, address, (x, y) => {
        const partnerSide = reblind(blindAddress(x, a), b)
        const candorSide = reblind(blindAddress(y, b), a)
        expect(partnerSide === candorSide).toBe(normalizeAddress(x) === normalizeAddress(y))
      }),
      { numRuns: 40 },
    )
  })

  it('a blinded value is 64 hex digits that neither shows the address nor its hash unblinded', () => {
    const once = blindAddress('ana@example.com', a)
    expect(once).toMatch(/^[0-9a-f]{64}$/)
    expect(blindAddress('ana@example.com', partnerScalar(randomBytes(32)))).not.toBe(once)
    expect(uploadScalar(Buffer.alloc(32, 1), 'cru_1')).not.toBe(
      uploadScalar(Buffer.alloc(32, 1), 'cru_2'),
    )
    expect(uploadScalar(Buffer.alloc(32, 1), 'cru_1')).toBe(
      uploadScalar(Buffer.alloc(32, 1), 'cru_1'),
    )
  })

  it('refuses what is not a group element, the identity included', () => {
    expect(parseBlinded('zz'.repeat(32))).toBeUndefined()
    expect(parseBlinded('00'.repeat(32))).toBeUndefined()
    expect(parseBlinded('ff'.repeat(32))).toBeUndefined()
    expect(parseBlinded(blindAddress('ana@example.com', a).toUpperCase())).toBeDefined()
  })

  it('shuffles into a permutation of the same items', () => {
    const items = Array.from({ length: 50 }, (_, i) => i)
    const shuffled = shuffle([...items])
    expect([...shuffled].sort((x, y) => x - y)).toEqual(items)
    expect(shuffled).not.toEqual(items)
  })
})
