import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DAY_MS, createManualClock } from '../../lib/clock.js'
import { isAppError } from '../../lib/errors.js'
import { parseConfig } from '../../config.js'
import { type Storage, createStorage } from '../../storage/db.js'
import { migrateToLatest } from '../../storage/migrate.js'
import { type BudgetPolicy, createBudgetLedger } from './insights.budget.js'

/**
 * The rolling budget as a property, on a real SQLite file: for any sequence of spends and clock
 * moves, what a key spent in any window of `perDays` never passes its budget, a spend is refused
 * exactly when it would, and a refusal's `renewsAt` is the first instant the spend fits.
 */
const POLICY: BudgetPolicy = { rho: 1, perDays: 7, delta: 1e-6 }

describe('the privacy budget ledger', () => {
  let storage: Storage
  let dir: string
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'candor-budget-'))
    const config = parseConfig({
      CANDOR_DATA_DIR: dir,
      CANDOR_DATABASE_URL: `sqlite:${path.join(dir, 'candor.sqlite')}`,
      CANDOR_LOG_LEVEL: 'silent',
    })
    storage = createStorage(config.database)
    await migrateToLatest(storage)
  })
  afterAll(async () => {
    await storage?.close()
    fs.rmSync(dir, { recursive: true, force: true })
  })

  it('never lets a window of perDays spend more than the budget, and renewsAt is when a refused spend fits', async () => {
    let run = 0
    const op = fc.record({
      // Hours to move the clock, then a spend of rho in [0.05, 0.6].
      hours: fc.integer({ min: 0, max: 60 }),
      rho: fc.integer({ min: 1, max: 12 }).map((k) => k * 0.05),
    })
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 25 }), async (ops) => {
        const clock = createManualClock('2026-03-02T09:00:00Z')
        const ledger = createBudgetLedger({ db: storage.db, clock })
        const keyId = `key_prop_${run++}`
        const spent: { at: number; rho: number }[] = []
        const inWindow = (t: number) =>
          spent.filter((s) => s.at > t - POLICY.perDays * DAY_MS).reduce((a, s) => a + s.rho, 0)
        for (const { hours, rho } of ops) {
          clock.advance(hours * 3_600_000)
          const now = clock.now().getTime()
          const fits = inWindow(now) + rho <= POLICY.rho + 1e-9
          const cost = { rho, epsilon: 1, delta: 1e-6 }
          try {
            const { state } = await ledger.spend(keyId, POLICY, cost, 'h', async () => undefined)
            expect(fits).toBe(true)
            spent.push({ at: now, rho })
            expect(state.spentRho).toBeCloseTo(inWindow(now), 9)
          } catch (error) {
            if (!isAppError(error) || error.code !== 'privacy_budget_exhausted') throw error
            expect(fits).toBe(false)
            const renewsAt = error.details?.['renewsAt'] as string | null
            // rho <= 0.6 <= the budget, so some instant always frees enough.
            expect(renewsAt).not.toBeNull()
            const at = Date.parse(renewsAt!)
            expect(inWindow(at) + rho).toBeLessThanOrEqual(POLICY.rho + 1e-9)
            expect(inWindow(at - 1) + rho).toBeGreaterThan(POLICY.rho + 1e-9)
          }
          expect(inWindow(now)).toBeLessThanOrEqual(POLICY.rho + 1e-9)
          expect((await ledger.state(keyId, POLICY)).spentRho).toBeCloseTo(inWindow(now), 9)
        }
      }),
      { numRuns: 40 },
    )
  })
})
