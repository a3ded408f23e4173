import fc from 'fast-check'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { recordEntries, rewriteLog } from './helpers/audit-log.js'
import { DIALECTS, type TestContext, createTestContext } from './helpers/test-context.js'

type Tampering =
  | { kind: 'delete'; at: number }
  | { kind: 'edit'; at: number }
  | { kind: 'reorder'; at: number; with: number }
  | { kind: 'truncate'; keep: number }
  | { kind: 'append-then-rewrite'; extra: number; at: number }

/** A tampering that touches at least one entry the saved checkpoint covers (`committed` of `total`). */
const tampering = (committed: number, total: number): fc.Arbitrary<Tampering> =>
  fc.oneof(
    fc.nat({ max: committed - 1 }).map((at): Tampering => ({ kind: 'delete', at })),
    fc.nat({ max: committed - 1 }).map((at): Tampering => ({ kind: 'edit', at })),
    fc
      .tuple(fc.nat({ max: committed - 1 }), fc.nat({ max: Math.max(0, total - 2) }))
      .map(([at, k]): Tampering =>
        total < 2 ? { kind: 'edit', at } : { kind: 'reorder', at, with: (at + 1 + k) % total },
      ),
    fc.nat({ max: committed - 1 }).map((keep): Tampering => ({ kind: 'truncate', keep })),
    fc
      .tuple(fc.integer({ min: 1, max: 8 }), fc.nat({ max: committed - 1 }))
      .map(([extra, at]): Tampering => ({ kind: 'append-then-rewrite', extra, at })),
  )

const scenarios = fc
  .record({ committed: fc.integer({ min: 1, max: 40 }), later: fc.integer({ min: 0, max: 10 }) })
  .chain(({ committed, later }) =>
    fc.record({
      committed: fc.constant(committed),
      later: fc.constant(later),
      change: tampering(committed, committed + later),
    }),
  )

for (const dialect of DIALECTS) {
  describe(`audit log tampering on ${dialect} (property)`, { timeout: 600_000 }, () => {
    let ctx: TestContext
    beforeAll(async () => {
      ctx = await createTestContext(dialect)
    })
    afterAll(async () => {
      await ctx?.close()
    })

    async function emptyLog(): Promise<void> {
      await sql`delete from audit_log`.execute(ctx.storage.db)
      await sql`delete from audit_tree`.execute(ctx.storage.db)
      await sql`delete from audit_checkpoints`.execute(ctx.storage.db)
    }

    it('catches every delete, edit, reorder, truncation and append-then-rewrite against a saved checkpoint', async () => {
      await fc.assert(
        fc.asyncProperty(scenarios, async ({ committed, later, change }) => {
          await emptyLog()
          // Entries are distinct (details carry their number), so any swap changes the log.
          await recordEntries(ctx, committed)
          const saved = (await ctx.services.audit.checkpoint()).note
          await recordEntries(ctx, later, 'later')
          const honest = await ctx.services.audit.verifyTree({ checkpoint: saved })
          expect(honest.problems).toEqual([])

          // The strongest attacker short of the key file: the whole log rewritten, the hash chain
          // recomputed, the stored tree and every stored checkpoint dropped.
          await rewriteLog(ctx.storage.db, (rows) => {
            const out = [...rows]
            switch (change.kind) {
              case 'delete':
                out.splice(change.at, 1)
                break
              case 'edit': {
                const row = out[change.at]
                if (row !== undefined) out[change.at] = { ...row, action: `${row.action}.edited` }
                break
              }
              case 'reorder': {
                const a = out[change.at]
                const b = out[change.with]
                if (a !== undefined && b !== undefined) {
                  out[change.at] = { ...b, seq: a.seq }
                  out[change.with] = { ...a, seq: b.seq }
                }
                break
              }
              case 'truncate':
                out.length = change.keep
                break
              case 'append-then-rewrite': {
                const row = out[change.at]
                if (row !== undefined) out[change.at] = { ...row, details: '{"n":"rewritten"}' }
                const last = out.at(-1)
                for (let i = 0; i < change.extra && last !== undefined; i += 1) {
                  out.push({ ...last, details: `{"appended":${i}}` })
                }
                break
              }
            }
            return out
          })
          expect((await ctx.services.audit.verify()).ok).toBe(true)
          const result = await ctx.services.audit.verifyTree({ checkpoint: saved })
          expect(result.ok, JSON.stringify(change)).toBe(false)
        }),
        { numRuns: dialect === 'sqlite' ? 100 : 30 },
      )
    })
  })
}
