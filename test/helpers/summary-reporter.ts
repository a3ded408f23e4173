import type { Reporter, TestModule } from 'vitest/node'
import { CHROMIUM_PATH } from './browser.js'

/**
 * After Vitest's own report: how many tests ran on each database engine (suites name theirs: "... on
 * sqlite", "... on postgres"), a note when browser suites were skipped (no Chromium here), and one plain
 * closing line, `N passed, N failed, N skipped`.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const counts = { passed: 0, failed: 0, skipped: 0 }
    const byEngine = new Map<string, number>()
    let browserSkipped = 0
    for (const module of testModules) {
      const browser = module.moduleId.endsWith('.browser.test.ts')
      for (const test of module.children.allTests()) {
        const state = test.result().state
        if (state === 'passed') counts.passed += 1
        else if (state === 'failed') counts.failed += 1
        else {
          counts.skipped += 1
          if (browser) browserSkipped += 1
        }
        const engine = /\bon (sqlite|postgres)\b/.exec(test.fullName)?.[1]
        if (engine !== undefined && state === 'passed')
          byEngine.set(engine, (byEngine.get(engine) ?? 0) + 1)
      }
    }
    const engines = ['sqlite', 'postgres']
      .map((engine) => `${engine} ${byEngine.get(engine) ?? 0}`)
      .join(', ')
    process.stdout.write(`\nstorage and HTTP tests passed per database: ${engines}\n`)
    if (browserSkipped > 0) {
      // Said last, where a person looks: a run without the browser did not test the pages.
      process.stdout.write(
        `note: ${browserSkipped} browser tests skipped: ${CHROMIUM_PATH} not found (apt-get install chromium); in CI they fail instead\n`,
      )
    }
    process.stdout.write(
      `${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`,
    )
  }
}
