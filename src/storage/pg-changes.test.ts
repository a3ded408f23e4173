import { describe, expect, it } from 'vitest'
import { payloadsOf } from './pg-changes.js'

describe('notification payloads', () => {
  it('name every owner once, each payload under PostgreSQL’s 8000-byte limit; everybody is `*`', () => {
    expect(payloadsOf(undefined)).toEqual(['*'])
    expect(payloadsOf(['sub_a', 'ses_b', 'sub_a'])).toEqual(['["sub_a","ses_b"]'])
    const owners = Array.from({ length: 3000 }, (_, k) => `sub_${k}_${'x'.repeat(k % 50)}`)
    const payloads = payloadsOf(owners)
    expect(payloads.length).toBeGreaterThan(10)
    for (const payload of payloads) expect(Buffer.byteLength(payload)).toBeLessThan(8000)
    expect(payloads.flatMap((p) => JSON.parse(p) as string[])).toEqual(owners)
    // Characters beyond ASCII count by their bytes.
    const wide = payloadsOf(Array.from({ length: 2000 }, (_, k) => `ses_é€${k}`))
    for (const payload of wide) expect(Buffer.byteLength(payload)).toBeLessThan(8000)
  })
})
