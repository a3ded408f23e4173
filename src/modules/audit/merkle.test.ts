import { createHash } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  EMPTY_ROOT,
  type Hash,
  type LeafRange,
  MerkleFrontier,
  type NodeRef,
  consistencyRanges,
  frontier,
  inclusionRanges,
  leafHash,
  nodeHash,
  rangeHash,
  rootOf,
  verifyConsistency,
  verifyInclusion,
} from './merkle.js'

/** RFC 6962's MTH, written straight from the RFC's definition: the reference for everything else. */
function mth(leaves: readonly Hash[]): Hash {
  if (leaves.length === 0) return createHash('sha256').digest()
  if (leaves.length === 1) return leaves[0] as Hash
  let k = 1
  while (k * 2 < leaves.length) k *= 2
  return nodeHash(mth(leaves.slice(0, k)), mth(leaves.slice(k)))
}

/** The hashes a stored tree would hold, from its leaves. */
function nodeOf(leaves: readonly Hash[]) {
  return (ref: NodeRef) => {
    const width = 2 ** ref.level
    return mth(leaves.slice(ref.index * width, (ref.index + 1) * width))
  }
}

const hashesOf = (leaves: readonly Hash[], ranges: readonly LeafRange[]) =>
  ranges.map((range) => rangeHash(range, nodeOf(leaves)))

const leavesOf = (n: number, salt = '') =>
  Array.from({ length: n }, (_, i) => leafHash(`entry ${i}${salt}`))

// The inputs of the Certificate Transparency reference tests (certificate-transparency-go, merkle).
const CT_INPUTS = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
]
const CT_ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
]

describe('RFC 6962 Merkle tree', () => {
  it('hashes like the Certificate Transparency reference', () => {
    expect(rootOf([]).toString('hex')).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    )
    const leaves = CT_INPUTS.map((hex) => leafHash(Buffer.from(hex, 'hex')))
    CT_ROOTS.forEach((root, i) => {
      expect(rootOf(leaves.slice(0, i + 1)).toString('hex'), `size ${i + 1}`).toBe(root)
    })
  })

  it('builds the same root incrementally as the RFC recursion, and the same from a restored frontier', () => {
    const leaves = leavesOf(70)
    const tree = new MerkleFrontier()
    for (let n = 0; n <= leaves.length; n += 1) {
      expect(tree.root().equals(mth(leaves.slice(0, n))), `size ${n}`).toBe(true)
      const restored = MerkleFrontier.restore(n, frontier(n).map(nodeOf(leaves)))
      expect(restored.root().equals(tree.root())).toBe(true)
      if (n < leaves.length) tree.append(leaves[n] as Hash)
    }
    expect(EMPTY_ROOT.equals(mth([]))).toBe(true)
  })

  it('reports every perfect subtree an append completes, with the hash a store must keep', () => {
    const leaves = leavesOf(40)
    const tree = new MerkleFrontier()
    const node = nodeOf(leaves)
    for (const leaf of leaves) {
      for (const made of tree.append(leaf)) expect(made.hash.equals(node(made))).toBe(true)
    }
  })

  it('proves inclusion of every leaf in every tree up to 33 leaves, and refuses a wrong leaf, root or path', () => {
    for (let size = 1; size <= 33; size += 1) {
      const leaves = leavesOf(size)
      const root = mth(leaves)
      for (let i = 0; i < size; i += 1) {
        const proof = hashesOf(leaves, inclusionRanges(i, size))
        const leaf = leaves[i] as Hash
        expect(verifyInclusion(i, size, leaf, proof, root), `${i} in ${size}`).toBe(true)
        expect(verifyInclusion(i, size, leafHash('other'), proof, root)).toBe(false)
        expect(verifyInclusion(i, size, leaf, proof, mth(leavesOf(size, 'x')))).toBe(false)
        if (proof.length > 0) {
          expect(verifyInclusion(i, size, leaf, proof.slice(1), root)).toBe(false)
          expect(verifyInclusion(i, size, leaf, [...proof, leaf], root)).toBe(false)
        }
        if (size > 1) expect(verifyInclusion((i + 1) % size, size, leaf, proof, root)).toBe(false)
      }
    }
  })

  it('proves consistency between every pair of sizes up to 33, and refuses a fork or a rewrite', () => {
    for (let second = 1; second <= 33; second += 1) {
      const leaves = leavesOf(second)
      const secondRoot = mth(leaves)
      for (let first = 0; first <= second; first += 1) {
        const proof = hashesOf(leaves, consistencyRanges(first, second))
        const firstRoot = mth(leaves.slice(0, first))
        expect(
          verifyConsistency(first, second, firstRoot, secondRoot, proof),
          `${first}->${second}`,
        ).toBe(true)
        if (first === 0) continue
        // A checkpoint of another tree of the same size (a fork) never fits.
        const forked = mth(leavesOf(first, 'fork'))
        expect(verifyConsistency(first, second, forked, secondRoot, proof)).toBe(false)
        expect(verifyConsistency(first, second, firstRoot, mth(leavesOf(second, 'x')), proof)).toBe(
          false,
        )
      }
    }
  })
})

type Tampering =
  | { kind: 'delete'; at: number }
  | { kind: 'edit'; at: number }
  | { kind: 'reorder'; at: number; with: number }
  | { kind: 'truncate'; keep: number }
  | { kind: 'append-then-rewrite'; extra: number; at: number }

const tampering = (committed: number, total: number): fc.Arbitrary<Tampering> =>
  fc.oneof(
    fc.nat({ max: committed - 1 }).map((at) => ({ kind: 'delete' as const, at })),
    fc.nat({ max: committed - 1 }).map((at) => ({ kind: 'edit' as const, at })),
    // Swaps a committed entry with any other one (a one-entry log has none: an edit instead).
    fc
      .tuple(fc.nat({ max: committed - 1 }), fc.nat({ max: Math.max(0, total - 2) }))
      .map(([at, k]): Tampering =>
        total < 2 ? { kind: 'edit', at } : { kind: 'reorder', at, with: (at + 1 + k) % total },
      ),
    fc.nat({ max: committed - 1 }).map((keep) => ({ kind: 'truncate' as const, keep })),
    fc
      .tuple(fc.integer({ min: 1, max: 20 }), fc.nat({ max: committed - 1 }))
      .map(([extra, at]) => ({ kind: 'append-then-rewrite' as const, extra, at })),
  )

function apply(entries: string[], change: Tampering): string[] {
  const out = [...entries]
  switch (change.kind) {
    case 'delete':
      out.splice(change.at, 1)
      break
    case 'edit':
      out[change.at] = `${out[change.at]} (edited)`
      break
    case 'reorder':
      ;[out[change.at], out[change.with]] = [out[change.with] as string, out[change.at] as string]
      break
    case 'truncate':
      out.length = change.keep
      break
    case 'append-then-rewrite':
      for (let i = 0; i < change.extra; i += 1) out.push(`appended ${i}`)
      out[change.at] = `${out[change.at]} (rewritten)`
      break
  }
  return out
}

/**
 * What a holder of a checkpoint (size, root) can tell from a log that only serves proofs: the log's
 * current root and a consistency proof the log computes from its own (possibly tampered) tree.
 */
function holderAccepts(checkpoint: { size: number; root: Hash }, log: readonly Hash[]): boolean {
  if (checkpoint.size > log.length) return false
  const proof = hashesOf(log, consistencyRanges(checkpoint.size, log.length))
  return verifyConsistency(checkpoint.size, log.length, checkpoint.root, mth(log), proof)
}

describe('a checkpoint holder against random tamperings', () => {
  const logs = fc
    .uniqueArray(fc.string({ minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 60 })
    .chain((entries) =>
      fc.integer({ min: 1, max: entries.length }).chain((committed) =>
        fc.record({
          entries: fc.constant(entries),
          committed: fc.constant(committed),
          change: tampering(committed, entries.length),
        }),
      ),
    )

  it('catches every delete, edit, reorder, truncation and append-then-rewrite of committed entries', () => {
    fc.assert(
      fc.property(logs, ({ entries, committed, change }) => {
        const leaves = entries.map((entry) => leafHash(entry))
        const checkpoint = { size: committed, root: mth(leaves.slice(0, committed)) }
        expect(holderAccepts(checkpoint, leaves)).toBe(true)
        const tampered = apply(entries, change).map((entry) => leafHash(entry))
        expect(holderAccepts(checkpoint, tampered)).toBe(false)
      }),
      { numRuns: 400 },
    )
  })

  it('accepts a log that only grew', () => {
    fc.assert(
      fc.property(logs, fc.integer({ min: 0, max: 30 }), ({ entries, committed }, extra) => {
        const leaves = entries.map((entry) => leafHash(entry))
        const checkpoint = { size: committed, root: mth(leaves.slice(0, committed)) }
        const grown = [...leaves, ...leavesOf(extra, 'later')]
        expect(holderAccepts(checkpoint, grown)).toBe(true)
      }),
      { numRuns: 100 },
    )
  })
})
