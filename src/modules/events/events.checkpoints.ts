/**
 * Import checkpoints: how far the order import got through a file (by its hash), so a run that stopped
 * resumes where it left off. The `import_checkpoints` table (migration 0004); a checkpoint names no one.
 */
import type { Db } from '../../storage/db.js'

type CheckpointTables = {
  import_checkpoints: {
    file_hash: string
    kind: string
    lines_done: number
    counts: string
    started_at: string
    updated_at: string
    completed_at: string | null
  }
}

export interface CheckpointRow {
  fileHash: string
  kind: string
  linesDone: number
  counts: string
  startedAt: string
  updatedAt: string
  completedAt: string | null
}

const t = (db: Db) => db.withTables<CheckpointTables>()

export const checkpointsRepository = {
  async find(db: Db, fileHash: string): Promise<CheckpointRow | undefined> {
    const row = await t(db)
      .selectFrom('import_checkpoints')
      .selectAll()
      .where('file_hash', '=', fileHash)
      .executeTakeFirst()
    return row === undefined
      ? undefined
      : {
          fileHash: row.file_hash,
          kind: row.kind,
          linesDone: Number(row.lines_done),
          counts: row.counts,
          startedAt: row.started_at,
          updatedAt: row.updated_at,
          completedAt: row.completed_at,
        }
  },

  async save(db: Db, row: CheckpointRow): Promise<void> {
    const values = {
      file_hash: row.fileHash,
      kind: row.kind,
      lines_done: row.linesDone,
      counts: row.counts,
      started_at: row.startedAt,
      updated_at: row.updatedAt,
      completed_at: row.completedAt,
    }
    await t(db)
      .insertInto('import_checkpoints')
      .values(values)
      .onConflict((oc) =>
        oc.column('file_hash').doUpdateSet({
          lines_done: row.linesDone,
          counts: row.counts,
          updated_at: row.updatedAt,
          completed_at: row.completedAt,
        }),
      )
      .execute()
  },

  async remove(db: Db, fileHash: string): Promise<void> {
    await t(db).deleteFrom('import_checkpoints').where('file_hash', '=', fileHash).execute()
  },
}
