import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openRuntime } from '../src/main/runtime.js'
import { seedDemo } from '../src/modules/demo/index.js'
import { runCandor } from './helpers/cli.js'
import { DIALECTS, type TestDatabase, createTestDatabase } from './helpers/test-context.js'

/**
 * `candor audit report` on the demo shop's data (issue 20, point 6): one HTML file with every chart as
 * inline SVG and nothing to fetch, the report kept beside the previous one.
 */
for (const dialect of DIALECTS) {
  describe(`candor audit report on ${dialect}`, { timeout: 180_000 }, () => {
    let database: TestDatabase
    let env: Record<string, string>
    beforeAll(async () => {
      database = await createTestDatabase(dialect)
      env = {
        CANDOR_DATA_DIR: database.dir,
        CANDOR_DATABASE_URL: database.url,
        CANDOR_DEMO: 'on',
        CANDOR_CHARTER_FILE: path.resolve('candor.charter.yaml'),
      }
      // The demo shop's data, as `candor start` seeds it (and the key file the CLI then reads).
      const runtime = await openRuntime(env, { logLevel: 'silent' })
      try {
        expect((await seedDemo(runtime.services)).seeded).toBe(true)
      } finally {
        await runtime.close()
      }
    })
    afterAll(async () => {
      await database?.drop()
    })

    it('writes one self-contained HTML file, and keeps each report', () => {
      const out = path.join(database.dir, 'report.html')
      const first = runCandor(['audit', 'report', '--out', out], env)
      expect(first.code, first.stderr).toBe(0)
      expect(first.stdout).toMatch(
        /^audit report rpt_\S+ written to .*report\.html: \d+ problems, \d+ warnings, \d+ charts\n$/,
      )
      const html = fs.readFileSync(out, 'utf8')
      const charts = Number(/(\d+) charts/.exec(first.stdout)?.[1])
      expect(charts).toBeGreaterThanOrEqual(3)
      expect(
        (html.match(/<figure data-chart="[^"]+"><figcaption>[^<]+<\/figcaption><svg/g) ?? [])
          .length,
      ).toBe(charts)
      expect(html).not.toMatch(/<script|<link|src=|@import|url\(/i)
      expect(html).toContain('This is the first report')

      const second = runCandor(['audit', 'report', '--json'], env)
      expect(second.code, second.stderr).toBe(0)
      const report = JSON.parse(second.stdout) as { id: string; findings: unknown[] }
      expect(report.id).toMatch(/^rpt_/)
      expect(report.findings.length).toBeGreaterThan(0)
      const again = runCandor(['audit', 'report', '--out', out], env)
      expect(again.code, again.stderr).toBe(0)
      expect(fs.readFileSync(out, 'utf8')).toContain('Since the report of')
    })
  })
}
