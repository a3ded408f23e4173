/**
 * Imported first by a bench that builds on the test suite's context (`test/helpers/test-context.ts`
 * reads CANDOR_TEST_DATABASE_URL when it is imported): CANDOR_BENCH_DATABASE_URL, when set, is the
 * PostgreSQL server the bench runs on. An import runs before the importing module's body, so setting
 * the variable there would come too late.
 */
if (process.env.CANDOR_BENCH_DATABASE_URL !== undefined)
  process.env.CANDOR_TEST_DATABASE_URL = process.env.CANDOR_BENCH_DATABASE_URL
