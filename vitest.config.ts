import { configDefaults, defineConfig } from 'vitest/config'

/**
 * Suites that assert wall-clock latencies ("within a second", "resumed in under 5 s") or start, kill and
 * wait for real `candor start` processes: they run after the rest, one file at a time, so a neighbour's
 * load does not decide whether they pass.
 */
const TIMED = [
  'test/many-processes.test.ts',
  'test/workers.test.ts',
  'test/train-never.test.ts',
  'test/rights-crash.test.ts',
  'test/ingest-crash.test.ts',
  'test/vendors-crash.test.ts',
  'test/recommend-model-store.test.ts',
  'test/recommend-context.test.ts',
]

/** Test files at once in the first group (CANDOR_TEST_WORKERS, default 2: CI has two cores). */
function workers(value = process.env.CANDOR_TEST_WORKERS): number {
  if (value === undefined || value === '') return 2
  const count = Number(value)
  if (!Number.isInteger(count) || count < 1)
    throw new Error(`CANDOR_TEST_WORKERS must be a whole number of at least 1, not "${value}"`)
  return count
}

const shared = { testTimeout: 30_000, hookTimeout: 60_000, pool: 'forks' } as const

export default defineConfig({
  test: {
    // Builds the web pages and the browser SDK for the browser suites when they are out of date.
    // And, with PostgreSQL, migrates the template database the suites' databases are copied from.
    globalSetup: ['test/helpers/build-pages.ts', 'test/helpers/pg-template.ts'],
    reporters: ['default', './test/helpers/summary-reporter.ts'],
    // Set here, not on the project, so that `--maxWorkers=N` on the command line still decides.
    maxWorkers: workers(),
    projects: [
      {
        test: {
          ...shared,
          name: 'parallel',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...TIMED],
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          ...shared,
          name: 'timed',
          include: TIMED,
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
})
