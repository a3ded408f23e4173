import type { Clock } from '../../lib/clock.js'
import { AppError } from '../../lib/errors.js'
import type { Db, Dialect } from '../../storage/db.js'
import type { KeyringHolder } from '../identity/index.js'
import { type AuditRow, createAuditRepository } from './audit.repository.js'
import { type CheckpointRow, createAuditTreeRepository, nodeKey } from './audit-tree.repository.js'
import {
  type CheckpointSigner,
  type SignedCheckpoint,
  createCheckpointSigner,
  openCheckpoint,
  signCheckpoint,
  verifierKey,
} from './checkpoint.js'
import { entryLeaf } from './audit-tree.leaf.js'
import { type TreeVerification, verifyAuditTree } from './audit-tree.verify.js'
import {
  type Hash,
  type LeafRange,
  MerkleFrontier,
  type NodeRef,
  consistencyRanges,
  foldFrontier,
  frontier,
  inclusionRanges,
  perfectCover,
} from './merkle.js'

export interface AuditTreeDeps {
  db: Db
  dialect: Dialect
  clock: Clock
  keys: KeyringHolder
}

/** A checkpoint as the API and the CLI show it (hashes in hex, except inside the note). */
export interface CheckpointView {
  origin: string
  treeSize: number
  rootHash: string
  timestamp: string
  note: string
  /** The verifier key for the signature, to publish beside it. */
  publicKey: string
}

const PAGE = 1000

function toView(checkpoint: SignedCheckpoint, publicKey: string): CheckpointView {
  return {
    origin: checkpoint.origin,
    treeSize: checkpoint.treeSize,
    rootHash: checkpoint.rootHash.toString('hex'),
    timestamp: checkpoint.timestamp,
    note: checkpoint.note,
    publicKey,
  }
}

/**
 * The audit log's Merkle tree (see merkle.ts): a leaf per entry, appended in the entry's own
 * transaction from the stored frontier (O(log n) reads, about two rows written per entry); signed
 * checkpoints; consistency and inclusion proofs; and verification against a saved checkpoint.
 */
export function createAuditTree(deps: AuditTreeDeps) {
  const nodes = createAuditTreeRepository()
  const entries = createAuditRepository(deps.dialect)
  const signers = new Map<string, CheckpointSigner>()

  function signerFor(id: string): CheckpointSigner {
    const set = deps.keys.current().audit
    const entry = set.byId(id) ?? deps.keys.reload().audit.byId(id)
    if (entry === undefined) throw new Error(`no audit key ${id}`)
    const cacheKey = `${set.origin}:${id}`
    let signer = signers.get(cacheKey)
    if (signer === undefined) {
      signer = createCheckpointSigner(set.origin, entry.secret)
      signers.set(cacheKey, signer)
    }
    return signer
  }

  function activeSigner(): CheckpointSigner {
    return signerFor(deps.keys.current().audit.active.id)
  }

  /** Every key this log has signed with (the active one and older ones). */
  function publicKeys(): { origin: string; publicKey: Buffer }[] {
    return deps.keys
      .current()
      .audit.all()
      .map((entry) => signerFor(entry.id))
  }

  async function readNodes(db: Db, refs: readonly NodeRef[]): Promise<Hash[]> {
    const found = await nodes.findNodes(db, refs)
    return refs.map((ref) => {
      const hash = found.get(nodeKey(ref))
      if (hash === undefined) {
        throw new AppError('internal', 'the audit tree is incomplete', {
          details: { level: ref.level, index: ref.index },
        })
      }
      return hash
    })
  }

  async function rootAt(db: Db, size: number): Promise<Hash> {
    return foldFrontier(await readNodes(db, frontier(size)))
  }

  /** The hashes of the given subtrees, reading each perfect node once. */
  async function rangeHashes(db: Db, ranges: readonly LeafRange[]): Promise<Hash[]> {
    const covers = ranges.map(perfectCover)
    const refs = covers.flat()
    const hashes = await readNodes(db, refs)
    const byKey = new Map(refs.map((ref, i) => [nodeKey(ref), hashes[i] as Hash]))
    return covers.map((cover) => foldFrontier(cover.map((ref) => byKey.get(nodeKey(ref)) as Hash)))
  }

  /**
   * Makes the stored tree hold a leaf for every entry: entries written before the tree existed (an
   * upgraded database), or by an older process, become leaves in order. Call under the chain lock.
   */
  async function catchUp(executor: Db): Promise<number> {
    let size = await nodes.countLeaves(executor)
    const tree = MerkleFrontier.restore(size, await readNodes(executor, frontier(size)))
    for (;;) {
      const page = await entries.listAfter(executor, size, PAGE)
      if (page.length === 0) return size
      const made = page.flatMap((row) => tree.append(entryLeaf(row)))
      await nodes.insertNodes(executor, made)
      size = tree.size
    }
  }

  /**
   * The tree after this process's last append, and the entry it ended with. The chain's head hash
   * covers every entry before it, so when the next entry's `prevHash` is that hash the tree is still
   * this one (another process's append, or a rolled-back one of ours, changes the head) and the append
   * needs no read.
   */
  let last: { seq: number; hash: string; tree: MerkleFrontier } | undefined

  /** Adds the leaf of a new entry (seq = leaf index + 1) in the entry's transaction. */
  async function appendLeaf(executor: Db, row: AuditRow): Promise<void> {
    const index = row.seq - 1
    let tree: MerkleFrontier
    if (last !== undefined && last.seq === index && last.hash === row.prevHash) {
      tree = last.tree
    } else {
      last = undefined
      const refs = frontier(index)
      const found = await nodes.findNodes(executor, [...refs, { level: 0, index }])
      if (found.has(nodeKey({ level: 0, index }))) {
        // Entries were deleted under the tree: refuse to paper over it (`candor audit verify` says more).
        throw new AppError('internal', 'the audit tree holds more leaves than the log has entries')
      }
      if (refs.some((ref) => !found.has(nodeKey(ref)))) {
        // Behind (entries from before the tree): the catch-up adds this entry's leaf too.
        await catchUp(executor)
        written()
        return
      }
      tree = MerkleFrontier.restore(
        index,
        refs.map((ref) => found.get(nodeKey(ref)) as Hash),
      )
    }
    last = undefined
    await nodes.insertNodes(executor, tree.append(entryLeaf(row)))
    last = { seq: row.seq, hash: row.hash, tree }
    written()
  }

  const writeListeners = new Set<() => void>()
  function written(): void {
    for (const listener of writeListeners) listener()
  }

  async function lockedTransaction<T>(fn: (trx: Db) => Promise<T>): Promise<T> {
    return deps.db.transaction().execute(async (trx) => {
      await entries.lockChain(trx)
      return fn(trx)
    })
  }

  /** Signs a checkpoint of the tree as it is now, unless the latest one already covers it. */
  async function checkpoint(): Promise<CheckpointView> {
    const signer = activeSigner()
    const stored = await lockedTransaction(async (trx): Promise<CheckpointRow> => {
      const size = await catchUp(trx)
      const latest = await nodes.latestCheckpoint(trx)
      if (latest !== undefined && latest.treeSize >= size) return latest
      const signed = signCheckpoint(
        {
          origin: signer.origin,
          treeSize: size,
          rootHash: await rootAt(trx, size),
          timestamp: deps.clock.now().toISOString(),
        },
        signer,
      )
      const row = {
        treeSize: size,
        rootHash: signed.rootHash.toString('hex'),
        signedAt: signed.timestamp,
        note: signed.note,
      }
      await nodes.insertCheckpoint(trx, row)
      return row
    })
    return viewOf(stored.note)
  }

  function viewOf(note: string): CheckpointView {
    const opened = openCheckpoint(note, publicKeys())
    if (!opened.ok) throw new AppError('internal', `stored checkpoint: ${opened.reason}`)
    const key = publicKeys().find((k) => k.origin === opened.checkpoint.origin)
    return toView(
      opened.checkpoint,
      key === undefined ? '' : verifierKey(key.origin, key.publicKey),
    )
  }

  function assertSize(field: string, value: number, max: number): void {
    if (!Number.isInteger(value) || value < 0 || value > max) {
      const reason = `must be a whole number from 0 to ${max}, the size of the latest checkpoint`
      throw new AppError('validation_failed', `${field}: ${reason}`, {
        issues: [{ field, reason }],
      })
    }
  }

  return {
    appendLeaf,
    checkpoint,

    /** The latest signed checkpoint (signing a first one when there is none). */
    latestCheckpoint: async (): Promise<CheckpointView> => {
      const latest = await nodes.latestCheckpoint(deps.db)
      return latest === undefined ? checkpoint() : viewOf(latest.note)
    },

    /** The verifier keys of this log (signed-note form), the active one first. */
    verifierKeys: (): string[] => {
      const active = activeSigner()
      const rest = publicKeys().filter((k) => !k.publicKey.equals(active.publicKey))
      return [active, ...rest].map((k) => verifierKey(k.origin, k.publicKey))
    },

    /**
     * An RFC 6962 consistency proof from a tree of `first` entries to one of `second` (by default the
     * latest checkpoint's size): what a holder of an older checkpoint asks for.
     */
    consistencyProof: async (
      first: number,
      second?: number,
    ): Promise<{ first: number; second: number; proof: string[] }> => {
      const latest = await nodes.latestCheckpoint(deps.db)
      const max = latest?.treeSize ?? 0
      const to = second ?? max
      assertSize('query.to', to, max)
      assertSize('query.size', first, to)
      const proof = await rangeHashes(deps.db, consistencyRanges(first, to))
      return { first, second: to, proof: proof.map((h) => h.toString('hex')) }
    },

    /** An RFC 6962 inclusion proof of entry `seq` in a tree of `size` entries (default: latest checkpoint). */
    inclusionProof: async (
      seq: number,
      size?: number,
    ): Promise<{
      seq: number
      leafIndex: number
      treeSize: number
      leafHash: string
      proof: string[]
    }> => {
      const latest = await nodes.latestCheckpoint(deps.db)
      const max = latest?.treeSize ?? 0
      const treeSize = size ?? max
      assertSize('query.size', treeSize, max)
      if (!Number.isInteger(seq) || seq < 1 || seq > treeSize) {
        const reason = `must name an entry within the tree (1 to ${treeSize})`
        throw new AppError('validation_failed', `query.seq: ${reason}`, {
          issues: [{ field: 'query.seq', reason }],
        })
      }
      const [leaf] = await readNodes(deps.db, [{ level: 0, index: seq - 1 }])
      const proof = await rangeHashes(deps.db, inclusionRanges(seq - 1, treeSize))
      return {
        seq,
        leafIndex: seq - 1,
        treeSize,
        leafHash: (leaf as Hash).toString('hex'),
        proof: proof.map((h) => h.toString('hex')),
      }
    },

    /**
     * Recomputes the tree from the entries and checks it against every stored signed checkpoint, the
     * stored tree, and (when given) a checkpoint saved elsewhere (see `audit-tree.verify.ts`).
     */
    verifyTree: async (
      options: { checkpoint?: string; entrySeq?: number } = {},
    ): Promise<TreeVerification> =>
      verifyAuditTree(
        {
          publicKeys,
          catchUp: () => lockedTransaction(catchUp),
          checkpointsAfter: (after, limit) => nodes.listCheckpointsAfter(deps.db, after, limit),
          entriesAfter: (after, limit) => entries.listAfter(deps.db, after, limit),
          rootAt: (size) => rootAt(deps.db, size),
          rangeHashes: (ranges) => rangeHashes(deps.db, ranges),
        },
        options,
      ),

    /**
     * Signs checkpoints by itself: `afterWriteMs` after an audit write (so a batch of writes makes one),
     * and every `everyMs` (which covers writes by other processes; 0: never, and none at start). `stop`
     * waits for one under way.
     */
    startCheckpoints: (options: {
      afterWriteMs?: number
      everyMs?: number
      onError?: (error: unknown) => void
    }): { stop(): Promise<void> } => {
      const afterWriteMs = options.afterWriteMs ?? 5000
      let running: Promise<void> | undefined
      const run = () => {
        running ??= checkpoint()
          .then(() => undefined)
          .catch((error: unknown) => options.onError?.(error))
          .finally(() => {
            running = undefined
          })
      }
      let pending: NodeJS.Timeout | undefined
      const onWrite = () => {
        if (pending !== undefined) return
        pending = setTimeout(() => {
          pending = undefined
          run()
        }, afterWriteMs)
        pending.unref()
      }
      writeListeners.add(onWrite)
      // everyMs 0: the periodic checkpoint is a job of the shared job table instead (see src/main/jobs.ts).
      const everyMs = options.everyMs ?? 60_000
      const timer = everyMs > 0 ? setInterval(run, everyMs) : undefined
      timer?.unref()
      if (everyMs > 0) run()
      return {
        async stop() {
          writeListeners.delete(onWrite)
          if (timer !== undefined) clearInterval(timer)
          if (pending !== undefined) clearTimeout(pending)
          await running
        },
      }
    },
  }
}

export type AuditTree = ReturnType<typeof createAuditTree>
export type { TreeVerification }
export { entryLeaf }
