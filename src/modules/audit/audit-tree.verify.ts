/**
 * Verifying the audit log's Merkle tree: recompute it from the entries and hold it against every
 * signed checkpoint stored, the stored tree, and (when given) a checkpoint saved elsewhere. A
 * truncation, a rewrite (even with every later hash recomputed) or a fork shows as a root that
 * differs or a proof that fails. Reads only, through `TreeReader`; `audit-tree.service.ts` owns writes.
 */
import type { AuditRow } from './audit.repository.js'
import type { CheckpointRow } from './audit-tree.repository.js'
import { type SignedCheckpoint, openCheckpoint } from './checkpoint.js'
import {
  type Hash,
  type LeafRange,
  MerkleFrontier,
  consistencyRanges,
  inclusionRanges,
  verifyConsistency,
  verifyInclusion,
} from './merkle.js'
import { entryLeaf } from './audit-tree.leaf.js'

export interface TreeVerification {
  ok: boolean
  /** Entries read from the log. */
  entries: number
  /** The root recomputed from the entries. */
  rootHash: string
  /** Signed checkpoints stored in the database, each checked against the entries. */
  checkpointsChecked: number
  checkpoint?: { treeSize: number; rootHash: string; timestamp: string; consistent: boolean }
  inclusion?: { seq: number; leafIndex: number; treeSize: number; proofLength: number; ok: boolean }
  /** What is wrong, in plain words; empty when ok. */
  problems: string[]
}

/** What verification reads, from the service that owns the tree. */
export interface TreeReader {
  publicKeys(): { origin: string; publicKey: Buffer }[]
  /** Brings the stored tree up to the entries (under the chain lock) and says its size. */
  catchUp(): Promise<number>
  checkpointsAfter(afterSize: number, limit: number): Promise<CheckpointRow[]>
  entriesAfter(afterSeq: number, limit: number): Promise<AuditRow[]>
  rootAt(size: number): Promise<Hash>
  rangeHashes(ranges: readonly LeafRange[]): Promise<Hash[]>
}

interface RootCheck {
  treeSize: number
  rootHash: Hash
  what: string
}

const PAGE = 1000

/** Checks the whole tree; `entrySeq` also proves one entry's inclusion. */
export async function verifyAuditTree(
  reader: TreeReader,
  options: { checkpoint?: string; entrySeq?: number } = {},
): Promise<TreeVerification> {
  const problems: string[] = []
  const keys = reader.publicKeys()
  let external: SignedCheckpoint | undefined
  if (options.checkpoint !== undefined) {
    const opened = openCheckpoint(options.checkpoint, keys)
    if (opened.ok) external = opened.checkpoint
    else problems.push(opened.reason)
  }
  const storedSize = await reader.catchUp()

  const checks = await storedChecks(reader, keys, problems)
  const checkpointsChecked = checks.length
  if (external !== undefined) {
    const { treeSize, rootHash } = external
    checks.push({ treeSize, rootHash, what: `the saved checkpoint (size ${treeSize})` })
  }
  const tree = await recompute(reader, new Set(checks.map((c) => c.treeSize)), options.entrySeq)
  const { size, root } = tree
  problems.push(...rootProblems(checks, tree))

  let storedRoot: Hash | undefined
  if (storedSize !== size) {
    problems.push(`the stored tree has ${storedSize} leaves for ${size} entries`)
  } else {
    storedRoot = await reader.rootAt(size)
    if (!storedRoot.equals(root)) problems.push('the stored tree does not match the entries')
  }

  let consistent = false
  if (external !== undefined && storedRoot !== undefined && external.treeSize <= size) {
    // What an outside verifier does with the proof route: the saved root is a prefix of today's.
    const proof = await reader.rangeHashes(consistencyRanges(external.treeSize, size))
    consistent = verifyConsistency(external.treeSize, size, external.rootHash, root, proof)
    if (!consistent) {
      problems.push(
        `the log is not consistent with the saved checkpoint (size ${external.treeSize}): no proof that it only grew since`,
      )
    }
  }

  const inclusion =
    options.entrySeq === undefined
      ? undefined
      : await checkInclusion(reader, options.entrySeq, tree, storedRoot, problems)

  return {
    ok: problems.length === 0,
    entries: size,
    rootHash: root.toString('hex'),
    checkpointsChecked,
    ...(external === undefined
      ? {}
      : {
          checkpoint: {
            treeSize: external.treeSize,
            rootHash: external.rootHash.toString('hex'),
            timestamp: external.timestamp,
            consistent,
          },
        }),
    ...(inclusion === undefined ? {} : { inclusion }),
    problems,
  }
}

/** Every stored checkpoint: its signature now, and the root it vouches for. */
async function storedChecks(
  reader: TreeReader,
  keys: { origin: string; publicKey: Buffer }[],
  problems: string[],
): Promise<RootCheck[]> {
  const checks: RootCheck[] = []
  for (let after = -1; ;) {
    const page = await reader.checkpointsAfter(after, PAGE)
    if (page.length === 0) return checks
    for (const row of page) {
      const opened = openCheckpoint(row.note, keys)
      if (opened.ok) {
        const { treeSize, rootHash } = opened.checkpoint
        checks.push({ treeSize, rootHash, what: `the stored checkpoint of size ${treeSize}` })
      } else problems.push(`stored checkpoint of size ${row.treeSize}: ${opened.reason}`)
      after = row.treeSize
    }
  }
}

interface Recomputed {
  size: number
  root: Hash
  /** The root after the first n entries, for each n a check asked about. */
  rootsAt: Map<number, Hash>
  entryLeafHash: Hash | undefined
}

/** The tree the entries make, with its root at each wanted size. */
async function recompute(
  reader: TreeReader,
  wanted: Set<number>,
  entrySeq: number | undefined,
): Promise<Recomputed> {
  const tree = new MerkleFrontier()
  const rootsAt = new Map<number, Hash>()
  let entryLeafHash: Hash | undefined
  if (wanted.has(0)) rootsAt.set(0, tree.root())
  for (let after = 0; ;) {
    const page = await reader.entriesAfter(after, PAGE)
    if (page.length === 0) break
    for (const row of page) {
      const leaf = entryLeaf(row)
      if (row.seq === entrySeq) entryLeafHash = leaf
      tree.append(leaf)
      if (wanted.has(tree.size)) rootsAt.set(tree.size, tree.root())
      after = row.seq
    }
  }
  return { size: tree.size, root: tree.root(), rootsAt, entryLeafHash }
}

function rootProblems(checks: readonly RootCheck[], tree: Recomputed): string[] {
  const problems: string[] = []
  for (const check of checks) {
    const recomputed = tree.rootsAt.get(check.treeSize)
    if (recomputed === undefined) {
      problems.push(
        `the log holds ${tree.size} entries but ${check.what} covers ${check.treeSize}: entries were removed (truncated)`,
      )
    } else if (!check.rootHash.equals(recomputed)) {
      problems.push(
        `the first ${check.treeSize} entries do not match ${check.what}: entries were changed, removed or reordered, or the log forked`,
      )
    }
  }
  return problems
}

async function checkInclusion(
  reader: TreeReader,
  seq: number,
  tree: Recomputed,
  storedRoot: Hash | undefined,
  problems: string[],
): Promise<NonNullable<TreeVerification['inclusion']>> {
  const size = tree.size
  if (tree.entryLeafHash === undefined || storedRoot === undefined || seq > size) {
    problems.push(`entry ${seq} is not in the log`)
    return { seq, leafIndex: seq - 1, treeSize: size, proofLength: 0, ok: false }
  }
  const proof = await reader.rangeHashes(inclusionRanges(seq - 1, size))
  const ok = verifyInclusion(seq - 1, size, tree.entryLeafHash, proof, tree.root)
  if (!ok) problems.push(`entry ${seq}: its inclusion proof does not hold`)
  return { seq, leafIndex: seq - 1, treeSize: size, proofLength: proof.length, ok }
}
