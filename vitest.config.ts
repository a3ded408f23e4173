import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Builds the web pages and the browser SDK for the browser suites when they are out of date.
    // And, with PostgreSQL, migrates the template database the suites' databases are copied from.
    globalSetup: ['test/helpers/build-pages.ts', 'test/helpers/pg-template.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default', './test/helpers/summary-reporter.ts'],
  },
})
