import type { Clock } from '../../lib/clock.js'
import { canonicalJson, sha256Hex } from '../../lib/crypto.js'
import type { Db, Dialect } from '../../storage/db.js'
import type { KeyringHolder } from '../identity/index.js'
import {
  type AuditEntry,
  type AuditInput,
  type ChainVerification,
  GENESIS_HASH,
  describeActor,
} from './audit.js'
import { type AuditListFilter, type AuditRow, createAuditRepository } from './audit.repository.js'
import { createAuditTree } from './audit-tree.service.js'

export interface AuditDeps {
  db: Db
  dialect: Dialect
  clock: Clock
  /** The key file's audit key signs checkpoints of the log's Merkle tree. */
  keys: KeyringHolder
}

/** The hash of one entry: every field but the hash itself, in canonical JSON. */
export function hashEntry(row: Omit<AuditRow, 'hash'>): string {
  return sha256Hex(
    canonicalJson([
      row.seq,
      row.at,
      row.actor,
      row.action,
      row.subjectId,
      row.details,
      row.prevHash,
    ]),
  )
}

function toEntry(row: AuditRow): AuditEntry {
  return {
    seq: row.seq,
    at: row.at,
    actor: row.actor,
    action: row.action,
    subjectId: row.subjectId,
    details: JSON.parse(row.details) as Record<string, unknown>,
    prevHash: row.prevHash,
    hash: row.hash,
  }
}

export type AuditLog = ReturnType<typeof createAuditLog>

/**
 * The append-only, hash-chained audit log. `record` takes the caller's transaction so that an entry is
 * written if and only if the change it describes is.
 *
 * @example await db.transaction().execute(async (trx) => { await change(trx); await audit.record(trx, {...}) })
 */
export function createAuditLog(deps: AuditDeps) {
  const repo = createAuditRepository(deps.dialect)
  const tree = createAuditTree(deps)

  async function append(executor: Db, input: AuditInput): Promise<AuditEntry> {
    await repo.lockChain(executor)
    const head = await repo.findHead(executor)
    const base: Omit<AuditRow, 'hash'> = {
      seq: (head?.seq ?? 0) + 1,
      at: deps.clock.now().toISOString(),
      actor: describeActor(input.actor),
      action: input.action,
      subjectId: input.subjectId ?? null,
      details: canonicalJson(input.details ?? {}),
      prevHash: head?.hash ?? GENESIS_HASH,
    }
    const row: AuditRow = { ...base, hash: hashEntry(base) }
    await repo.insert(executor, row)
    await tree.appendLeaf(executor, row)
    return toEntry(row)
  }

  return {
    checkpoint: tree.checkpoint,
    latestCheckpoint: tree.latestCheckpoint,
    verifierKeys: tree.verifierKeys,
    consistencyProof: tree.consistencyProof,
    inclusionProof: tree.inclusionProof,
    verifyTree: tree.verifyTree,
    startCheckpoints: tree.startCheckpoints,

    /** Appends inside the given transaction (which must be one: the chain head is read then written). */
    record: append,

    /** Appends in a transaction of its own, for actions that change nothing else. */
    async recordNow(input: AuditInput): Promise<AuditEntry> {
      return deps.db.transaction().execute((trx) => append(trx, input))
    },

    /** Recomputes the whole chain and reports the first entry whose hash or link is wrong. */
    async verify(onProgress?: (checked: number) => void): Promise<ChainVerification> {
      let prevHash = GENESIS_HASH
      let expectedSeq = 1
      let checked = 0
      for (;;) {
        const page = await repo.listAfter(deps.db, expectedSeq - 1, 1000)
        if (page.length === 0) break
        for (const row of page) {
          if (row.seq !== expectedSeq) {
            return {
              ok: false,
              entries: checked,
              firstBrokenSeq: expectedSeq,
              reason: 'entry missing',
            }
          }
          if (row.prevHash !== prevHash) {
            return {
              ok: false,
              entries: checked,
              firstBrokenSeq: row.seq,
              reason: 'link to previous entry broken',
            }
          }
          const { hash, ...rest } = row
          if (hashEntry(rest) !== hash) {
            return {
              ok: false,
              entries: checked,
              firstBrokenSeq: row.seq,
              reason: 'entry content changed',
            }
          }
          prevHash = hash
          expectedSeq += 1
          checked += 1
        }
        onProgress?.(checked)
      }
      return { ok: true, entries: checked, headHash: prevHash }
    },

    async list(filter: AuditListFilter): Promise<AuditEntry[]> {
      return (await repo.listRecent(deps.db, filter)).map(toEntry)
    },

    /** Every entry about one subject, oldest first (for access requests: who touched my data). */
    async listForSubject(subjectId: string): Promise<AuditEntry[]> {
      return (await repo.listBySubject(deps.db, subjectId)).map(toEntry)
    },
  }
}
