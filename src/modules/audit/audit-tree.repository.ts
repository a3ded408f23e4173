import type { Db } from '../../storage/db.js'
import type { NodeRef } from './merkle.js'

type TreeTables = {
  audit_tree: { level: number; idx: number; hash: string }
  audit_checkpoints: { tree_size: number; root_hash: string; signed_at: string; note: string }
}

export interface StoredNode extends NodeRef {
  hash: Buffer
}

export interface CheckpointRow {
  treeSize: number
  rootHash: string
  signedAt: string
  note: string
}

const key = (level: number, index: number) => `${level}:${index}`

/** The audit tree's perfect subtrees and its signed checkpoints. */
export function createAuditTreeRepository() {
  const t = (db: Db) => db.withTables<TreeTables>()
  return {
    /** The hashes of the given nodes, by `level:index` (see `nodeKey`); absent nodes are left out. */
    async findNodes(db: Db, refs: readonly NodeRef[]): Promise<Map<string, Buffer>> {
      const found = new Map<string, Buffer>()
      // Few pairs per statement: SQLite limits how deep an expression may nest.
      for (let i = 0; i < refs.length; i += 64) {
        const chunk = refs.slice(i, i + 64)
        const rows = await t(db)
          .selectFrom('audit_tree')
          .select(['level', 'idx', 'hash'])
          .where((eb) =>
            eb.or(
              chunk.map((ref) => eb.and([eb('level', '=', ref.level), eb('idx', '=', ref.index)])),
            ),
          )
          .execute()
        for (const row of rows) found.set(key(row.level, row.idx), Buffer.from(row.hash, 'hex'))
      }
      return found
    },
    async insertNodes(db: Db, nodes: readonly StoredNode[]): Promise<void> {
      for (let i = 0; i < nodes.length; i += 500) {
        await t(db)
          .insertInto('audit_tree')
          .values(
            nodes.slice(i, i + 500).map((node) => ({
              level: node.level,
              idx: node.index,
              hash: node.hash.toString('hex'),
            })),
          )
          .execute()
      }
    },
    /** How many leaves the stored tree holds. */
    async countLeaves(db: Db): Promise<number> {
      const row = await t(db)
        .selectFrom('audit_tree')
        .select((eb) => eb.fn.max('idx').as('last'))
        .where('level', '=', 0)
        .executeTakeFirst()
      return row?.last === null || row?.last === undefined ? 0 : Number(row.last) + 1
    },
    async latestCheckpoint(db: Db): Promise<CheckpointRow | undefined> {
      const row = await t(db)
        .selectFrom('audit_checkpoints')
        .selectAll()
        .orderBy('tree_size', 'desc')
        .limit(1)
        .executeTakeFirst()
      return row === undefined ? undefined : toCheckpoint(row)
    },
    /** Stores a checkpoint unless one of that size exists (another process signed it first). */
    async insertCheckpoint(db: Db, row: CheckpointRow): Promise<void> {
      await t(db)
        .insertInto('audit_checkpoints')
        .values({
          tree_size: row.treeSize,
          root_hash: row.rootHash,
          signed_at: row.signedAt,
          note: row.note,
        })
        .onConflict((oc) => oc.column('tree_size').doNothing())
        .execute()
    },
    /** Stored checkpoints in size order, a page at a time. */
    async listCheckpointsAfter(db: Db, afterSize: number, limit: number): Promise<CheckpointRow[]> {
      const rows = await t(db)
        .selectFrom('audit_checkpoints')
        .selectAll()
        .where('tree_size', '>', afterSize)
        .orderBy('tree_size', 'asc')
        .limit(limit)
        .execute()
      return rows.map(toCheckpoint)
    },
  }
}

function toCheckpoint(row: TreeTables['audit_checkpoints']): CheckpointRow {
  return {
    treeSize: Number(row.tree_size),
    rootHash: row.root_hash,
    signedAt: row.signed_at,
    note: row.note,
  }
}

export function nodeKey(ref: NodeRef): string {
  return key(ref.level, ref.index)
}
