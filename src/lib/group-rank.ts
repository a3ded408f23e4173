/**
 * Which groups a shopper keeps when a differentially private query lets each shopper add to at most
 * G groups: the G whose rank here is smallest. One function for the insights engine (JavaScript)
 * and for SQLite, where the storage registers it as the SQL function `candor_group_rank`, so the
 * bounding done in SQL keeps exactly the groups the engine would.
 *
 * The rank is not secret and need not be: any rule that looks only at the shopper's own rows (and
 * the query's salt) keeps one shopper's part bounded. The hash only keeps the choice from favouring,
 * say, the alphabetically first items or the earliest weeks.
 */
import { createHmac } from 'node:crypto'

/** A shopper's 32-bit seed under a query's salt: the first 4 bytes of HMAC-SHA256(salt, owner). */
export function ownerSeed(salt: Buffer, owner: string): number {
  return createHmac('sha256', salt).update(owner).digest().readUInt32BE(0)
}

/**
 * A 32-bit rank of a group id (`JSON.stringify` of its key) under an owner's seed: FNV-1a over the
 * id's UTF-16 units, started from the seed, then MurmurHash3's finalizer. One HMAC per owner
 * ({@link ownerSeed}), not per group: UCI's heaviest shoppers have about 1,000 groups each.
 */
export function groupRank(seed: number, id: string): number {
  let h = (seed ^ 0x811c9dc5) >>> 0
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193)
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/**
 * The SQL function's body: `candor_group_rank(salt_hex, owner, key_1, ..., key_n)` is
 * `groupRank(ownerSeed(salt, owner), JSON.stringify([key_1, ..., key_n]))`. The seeds of the last
 * salt seen are kept, so a query ranking thousands of groups of a few hundred shoppers computes one
 * HMAC per shopper.
 */
export function createGroupRankFunction(): (
  saltHex: unknown,
  owner: unknown,
  ...key: unknown[]
) => number {
  let lastSalt = ''
  let salt = Buffer.alloc(0)
  const seeds = new Map<string, number>()
  return (saltHex, owner, ...key) => {
    const hex = String(saltHex)
    if (hex !== lastSalt) {
      lastSalt = hex
      salt = Buffer.from(hex, 'hex')
      seeds.clear()
    }
    const who = String(owner)
    let seed = seeds.get(who)
    if (seed === undefined) seeds.set(who, (seed = ownerSeed(salt, who)))
    // SQL hands over text (or null, read as the empty string as the repository reads it).
    const parts = key.map((part) =>
      part === null || part === undefined ? '' : `${part as string}`,
    )
    return groupRank(seed, JSON.stringify(parts))
  }
}
