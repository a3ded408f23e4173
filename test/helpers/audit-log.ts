import { sql } from 'kysely'
import type { AuditRow } from '../../src/modules/audit/audit.repository.js'
import { hashEntry } from '../../src/modules/audit/audit.service.js'
import type { Db } from '../../src/storage/db.js'
import type { TestContext } from './test-context.js'

/** Appends `n` entries (distinct details), a few hundred per transaction, as the modules would. */
export async function recordEntries(
  ctx: TestContext,
  n: number,
  label = 'test.entry',
): Promise<void> {
  for (let done = 0; done < n;) {
    const batch = Math.min(250, n - done)
    await ctx.storage.db.transaction().execute(async (trx) => {
      for (let i = 0; i < batch; i += 1) {
        await ctx.services.audit.record(trx, {
          actor: { kind: 'system', name: 'test' },
          action: label,
          details: { n: done + i },
        })
      }
    })
    done += batch
  }
}

interface RawRow {
  seq: number
  at: string
  actor: string
  action: string
  subject_id: string | null
  details: string
}

/**
 * Rewrites the audit log the way an attacker with database access (but not the key file) would: reads
 * every entry, lets `mutate` change the list, numbers the entries 1..n again, recomputes the whole hash
 * chain with the project's own `hashEntry`, and drops the stored Merkle tree and every stored checkpoint
 * (the audit log rebuilds its tree from the entries, as an attacker recomputing it would).
 */
export async function rewriteLog(
  db: Db,
  mutate: (rows: Omit<AuditRow, 'hash' | 'prevHash'>[]) => Omit<AuditRow, 'hash' | 'prevHash'>[],
): Promise<void> {
  const { rows } = await sql<RawRow>`select * from audit_log order by seq`.execute(db)
  const changed = mutate(
    rows.map((r) => ({
      seq: Number(r.seq),
      at: r.at,
      actor: r.actor,
      action: r.action,
      subjectId: r.subject_id,
      details: r.details,
    })),
  )
  await db.transaction().execute(async (trx) => {
    await sql`delete from audit_log`.execute(trx)
    await sql`delete from audit_tree`.execute(trx)
    await sql`delete from audit_checkpoints`.execute(trx)
    let prevHash = '0'.repeat(64)
    for (const [i, row] of changed.entries()) {
      const base = { ...row, seq: i + 1, prevHash }
      const hash = hashEntry(base)
      await sql`insert into audit_log (seq, at, actor, action, subject_id, details, prev_hash, hash)
        values (${base.seq}, ${base.at}, ${base.actor}, ${base.action}, ${base.subjectId}, ${base.details}, ${prevHash}, ${hash})`.execute(
        trx,
      )
      prevHash = hash
    }
  })
}
