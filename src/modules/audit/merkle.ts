import { createHash } from 'node:crypto'

/**
 * The audit log as a Merkle tree in the way of Certificate Transparency (RFC 6962, RFC 9162 section 2):
 * leaf = SHA-256(0x00 || entry bytes), node = SHA-256(0x01 || left || right), and a tree of n leaves
 * splits at k, the largest power of two smaller than n. Pure functions over byte strings: no I/O.
 *
 * Stored trees keep every perfect subtree (a node "level L, index i" covers leaves [i * 2^L, (i+1) * 2^L)),
 * so a root or a proof for any size needs only O(log n) of them, see `frontier` and `perfectCover`.
 */

export type Hash = Buffer

/** A node of a stored tree: the perfect subtree at `level` and position `index` within that level. */
export interface NodeRef {
  level: number
  index: number
}

/** A range of leaves [lo, hi). */
export type LeafRange = readonly [lo: number, hi: number]

const LEAF_PREFIX = Buffer.from([0])
const NODE_PREFIX = Buffer.from([1])

export function leafHash(entry: Uint8Array | string): Hash {
  return createHash('sha256').update(LEAF_PREFIX).update(entry).digest()
}

export function nodeHash(left: Hash, right: Hash): Hash {
  return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest()
}

/** The root of the empty tree: SHA-256 of nothing (RFC 6962 2.1). */
export const EMPTY_ROOT: Hash = createHash('sha256').digest()

/** The largest power of two smaller than n (n > 1): the RFC's split point. */
export function splitPoint(n: number): number {
  return 2 ** (31 - Math.clz32(n - 1))
}

function isPowerOfTwo(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0
}

/**
 * The perfect subtrees whose roots, folded right to left, make the root of a tree of `size` leaves:
 * one per set bit of `size`, largest (leftmost) first. They are also what an append needs.
 */
export function frontier(size: number): NodeRef[] {
  const refs: NodeRef[] = []
  let start = 0
  for (let level = 30; level >= 0; level -= 1) {
    const width = 2 ** level
    if ((size & width) !== 0) {
      refs.push({ level, index: start / width })
      start += width
    }
  }
  return refs
}

/** Folds frontier hashes (leftmost first) into the root. */
export function foldFrontier(hashes: readonly Hash[]): Hash {
  let root: Hash | undefined
  for (let i = hashes.length - 1; i >= 0; i -= 1) {
    const hash = hashes[i] as Hash
    root = root === undefined ? hash : nodeHash(hash, root)
  }
  return root ?? EMPTY_ROOT
}

/**
 * A tree built leaf by leaf, holding only its frontier (the compact range): `append` costs O(1)
 * amortized and says which perfect subtrees it completed, so a store can keep them; `root` is O(log n).
 */
export class MerkleFrontier {
  private readonly stack: { level: number; hash: Hash }[] = []
  private count = 0

  /** A tree of `size` leaves from the hashes of its frontier (see `frontier`), to go on appending. */
  static restore(size: number, hashes: readonly Hash[]): MerkleFrontier {
    const refs = frontier(size)
    if (refs.length !== hashes.length) throw new Error('frontier does not match the size')
    const tree = new MerkleFrontier()
    refs.forEach((ref, i) => tree.stack.push({ level: ref.level, hash: hashes[i] as Hash }))
    tree.count = size
    return tree
  }

  get size(): number {
    return this.count
  }

  /** Appends a leaf hash; returns every node it completed, the leaf itself first. */
  append(leaf: Hash): { level: number; index: number; hash: Hash }[] {
    const index = this.count
    const made = [{ level: 0, index, hash: leaf }]
    let hash = leaf
    let level = 0
    let position = index
    while ((position & 1) === 1) {
      const left = this.stack.pop()
      if (left === undefined || left.level !== level) throw new Error('frontier out of order')
      hash = nodeHash(left.hash, hash)
      level += 1
      position >>>= 1
      made.push({ level, index: position, hash })
    }
    this.stack.push({ level, hash })
    this.count += 1
    return made
  }

  root(): Hash {
    return foldFrontier(this.stack.map((node) => node.hash))
  }
}

/** The Merkle tree hash of a list of leaf hashes, by the RFC's recursion (for tests and small trees). */
export function rootOf(leaves: readonly Hash[]): Hash {
  const tree = new MerkleFrontier()
  for (const leaf of leaves) tree.append(leaf)
  return tree.root()
}

/**
 * The perfect subtrees that make up the subtree [lo, hi) of the RFC's recursion (lo is always aligned
 * there), leftmost first: a perfect range is one node, anything else splits at the RFC's point.
 */
export function perfectCover([lo, hi]: LeafRange): NodeRef[] {
  const refs: NodeRef[] = []
  let start = lo
  while (start < hi) {
    const n = hi - start
    const width = isPowerOfTwo(n) ? n : splitPoint(n)
    const level = Math.log2(width)
    refs.push({ level, index: start / width })
    start += width
  }
  return refs
}

/** The hash of subtree [lo, hi) from the hashes of its perfect cover (see `perfectCover`). */
export function rangeHash(range: LeafRange, node: (ref: NodeRef) => Hash): Hash {
  return foldFrontier(perfectCover(range).map(node))
}

/** The subtrees whose hashes make the audit path of leaf `index` in a tree of `size` (RFC 6962 PATH). */
export function inclusionRanges(index: number, size: number): LeafRange[] {
  if (index < 0 || index >= size) throw new RangeError(`leaf ${index} is not in a tree of ${size}`)
  const out: LeafRange[] = []
  const path = (m: number, lo: number, hi: number): void => {
    const n = hi - lo
    if (n <= 1) return
    const k = splitPoint(n)
    if (m < k) {
      path(m, lo, lo + k)
      out.push([lo + k, hi])
    } else {
      path(m - k, lo + k, hi)
      out.push([lo, lo + k])
    }
  }
  path(index, 0, size)
  return out
}

/** The subtrees whose hashes prove a tree of `first` leaves a prefix of one of `second` (RFC 6962 PROOF). */
export function consistencyRanges(first: number, second: number): LeafRange[] {
  if (first < 0 || first > second) throw new RangeError(`no proof from ${first} to ${second}`)
  if (first === 0 || first === second) return []
  const out: LeafRange[] = []
  const subproof = (m: number, lo: number, hi: number, whole: boolean): void => {
    const n = hi - lo
    if (m === n) {
      if (!whole) out.push([lo, hi])
      return
    }
    const k = splitPoint(n)
    if (m <= k) {
      subproof(m, lo, lo + k, whole)
      out.push([lo + k, hi])
    } else {
      subproof(m - k, lo + k, hi, false)
      out.push([lo, lo + k])
    }
  }
  subproof(first, 0, second, true)
  return out
}

/** Checks an inclusion proof (RFC 9162 2.1.3.2). */
export function verifyInclusion(
  index: number,
  size: number,
  leaf: Hash,
  proof: readonly Hash[],
  root: Hash,
): boolean {
  if (index < 0 || index >= size) return false
  let fn = index
  let sn = size - 1
  let r = leaf
  for (const p of proof) {
    if (sn === 0) return false
    if ((fn & 1) === 1 || fn === sn) {
      r = nodeHash(p, r)
      if ((fn & 1) === 0) {
        while ((fn & 1) === 0 && fn !== 0) {
          fn >>>= 1
          sn >>>= 1
        }
      }
    } else {
      r = nodeHash(r, p)
    }
    fn >>>= 1
    sn >>>= 1
  }
  return sn === 0 && r.equals(root)
}

/**
 * Checks a consistency proof (RFC 9162 2.1.4.2): the tree of `first` leaves with root `firstRoot` is a
 * prefix of the tree of `second` leaves with root `secondRoot`. The empty tree is a prefix of any tree.
 */
export function verifyConsistency(
  first: number,
  second: number,
  firstRoot: Hash,
  secondRoot: Hash,
  proof: readonly Hash[],
): boolean {
  if (first < 0 || first > second) return false
  if (first === 0) return proof.length === 0 && firstRoot.equals(EMPTY_ROOT)
  if (first === second) return proof.length === 0 && firstRoot.equals(secondRoot)
  const path = isPowerOfTwo(first) ? [firstRoot, ...proof] : [...proof]
  let fn = first - 1
  let sn = second - 1
  while ((fn & 1) === 1) {
    fn >>>= 1
    sn >>>= 1
  }
  const [head, ...rest] = path
  if (head === undefined) return false
  let fr = head
  let sr = head
  for (const c of rest) {
    if (sn === 0) return false
    if ((fn & 1) === 1 || fn === sn) {
      fr = nodeHash(c, fr)
      sr = nodeHash(c, sr)
      if ((fn & 1) === 0) {
        while ((fn & 1) === 0 && fn !== 0) {
          fn >>>= 1
          sn >>>= 1
        }
      }
    } else {
      sr = nodeHash(sr, c)
    }
    fn >>>= 1
    sn >>>= 1
  }
  return sn === 0 && fr.equals(firstRoot) && sr.equals(secondRoot)
}
