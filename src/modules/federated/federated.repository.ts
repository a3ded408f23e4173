import type { Db } from '../../storage/db.js'
import { createSketchCounts, type SketchCounts } from './aggregate.js'

/**
 * The sketch totals per UTC day of arrival (migrations 0035, 0040). Read from the database every
 * time, never copied.
 */
type FederatedTables = {
  federated_sketch: {
    day: string
    epsilon_milli: number
    m: number
    k: number
    hash_row: number
    bucket: number
    ones: number | string | bigint
  }
}

/** Cells per statement: 6 values each, well under either engine's parameter limit. */
const CHUNK = 1000

export type FederatedRepository = ReturnType<typeof createFederatedRepository>

/** The federated module's SQL; every function takes the database or a transaction first. */
export function createFederatedRepository() {
  const t = (db: Db) => db.withTables<FederatedTables>()
  return {
    /**
     * Adds the counts to the stored totals (insert or add, cell by cell, in key order so that
     * concurrent batches take their row locks in the same order), in the cells of `day`
     * (YYYY-MM-DD). Only cells above 0 are written.
     */
    async addCounts(db: Db, day: string, counts: SketchCounts): Promise<void> {
      const { m, k } = counts.shape
      const epsilon_milli = Math.round(counts.epsilon * 1000)
      const rows: FederatedTables['federated_sketch'][] = []
      for (let row = 0; row < k; row++) {
        const reports = counts.reports[row]!
        if (reports === 0) continue
        rows.push({ day, epsilon_milli, m, k, hash_row: row, bucket: -1, ones: reports })
        for (let b = 0; b < m; b++) {
          const ones = counts.ones[row * m + b]!
          if (ones > 0) rows.push({ day, epsilon_milli, m, k, hash_row: row, bucket: b, ones })
        }
      }
      for (let start = 0; start < rows.length; start += CHUNK)
        await t(db)
          .insertInto('federated_sketch')
          .values(rows.slice(start, start + CHUNK))
          .onConflict((oc) =>
            oc
              .columns(['day', 'epsilon_milli', 'm', 'k', 'hash_row', 'bucket'])
              .doUpdateSet((eb) => ({
                ones: eb(eb.ref('federated_sketch.ones'), '+', eb.ref('excluded.ones')),
              })),
          )
          .execute()
    },

    /** Every stored sketch's totals, the kept days summed, one `SketchCounts` per (epsilon, shape). */
    async readCounts(db: Db): Promise<SketchCounts[]> {
      const rows = await t(db)
        .selectFrom('federated_sketch')
        .select(['epsilon_milli', 'm', 'k', 'hash_row', 'bucket'])
        .select((eb) => eb.fn.sum<number | string | bigint>('ones').as('ones'))
        .groupBy(['epsilon_milli', 'm', 'k', 'hash_row', 'bucket'])
        .orderBy('epsilon_milli')
        .orderBy('m')
        .orderBy('k')
        .execute()
      const sketches = new Map<string, SketchCounts>()
      for (const r of rows) {
        const key = `${r.epsilon_milli}/${r.m}/${r.k}`
        let s = sketches.get(key)
        if (s === undefined) {
          s = createSketchCounts({ m: r.m, k: r.k }, r.epsilon_milli / 1000)
          sketches.set(key, s)
        }
        const ones = Number(r.ones)
        if (r.bucket === -1) s.reports[r.hash_row] = ones
        else s.ones[r.hash_row * r.m + r.bucket] = ones
      }
      return [...sketches.values()]
    },
    /** Deletes the totals of the days before `day` (YYYY-MM-DD); answers how many cells went. */
    async deleteDaysBefore(db: Db, day: string): Promise<number> {
      const result = await t(db)
        .deleteFrom('federated_sketch')
        .where('day', '<', day)
        .executeTakeFirst()
      return Number(result.numDeletedRows)
    },
  }
}
