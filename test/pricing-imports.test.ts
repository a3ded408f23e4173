import { execFile } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'

/**
 * Issue 24, "never personal, by construction": the `pricing-never-personal` import rule in
 * `.dependency-cruiser.mjs` (run by `npm run lint`) fails when src/modules/pricing/ imports a module
 * that knows a shopper. Shown both ways with the real dependency-cruiser and the real config: a planted
 * file that imports identity (in a scratch tree shaped like ours) is reported, and the pricing module
 * as committed is not.
 */
const run = promisify(execFile)
const ROOT = process.cwd()
const DEPCRUISE = path.join(ROOT, 'node_modules/.bin/depcruise')
const CONFIG = path.join(ROOT, '.dependency-cruiser.mjs')

interface Violation {
  rule: { name: string }
  from: string
  to: string
}

async function violations(cwd: string, files: string[]): Promise<Violation[]> {
  const { stdout } = await run(
    DEPCRUISE,
    ['--config', CONFIG, '--max-depth', '1', '--output-type', 'json', ...files],
    { cwd, maxBuffer: 64 * 1024 * 1024 },
  )
  return (JSON.parse(stdout) as { summary: { violations: Violation[] } }).summary.violations
}

describe('the pricing import rule', () => {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'candor-depcruise-'))
  afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }))

  it('reports a pricing file that imports a subject API', async () => {
    const write = (file: string, text: string) => {
      fs.mkdirSync(path.dirname(path.join(scratch, file)), { recursive: true })
      fs.writeFileSync(path.join(scratch, file), text)
    }
    write(
      'tsconfig.json',
      JSON.stringify({ compilerOptions: { module: 'NodeNext', strict: true } }),
    )
    for (const module of ['identity', 'consent', 'session', 'events', 'catalog'])
      write(`src/modules/${module}/index.ts`, `export const ${module}Api = (ref: string) => ref\n`)
    write(
      'src/modules/pricing/planted.ts',
      [
        "import { identityApi } from '../identity/index.js'",
        "import type { consentApi } from '../consent/index.js'",
        "import { sessionApi } from '../session/index.js'",
        "import { eventsApi } from '../events/index.js'",
        "import { catalogApi } from '../catalog/index.js'",
        'export const all = [identityApi, sessionApi, eventsApi, catalogApi]',
        'export type Consent = typeof consentApi',
        '',
      ].join('\n'),
    )
    const found = (await violations(scratch, ['src/modules/pricing/planted.ts'])).filter(
      (v) => v.rule.name === 'pricing-never-personal',
    )
    expect(found.map((v) => v.to).sort()).toEqual([
      'src/modules/consent/index.ts',
      'src/modules/events/index.ts',
      'src/modules/identity/index.ts',
      'src/modules/session/index.ts',
    ])
  }, 120_000)

  it('finds nothing in the pricing module as it is', async () => {
    const files = fs
      .readdirSync(path.join(ROOT, 'src/modules/pricing'))
      .filter((f) => f.endsWith('.ts'))
      .map((f) => `src/modules/pricing/${f}`)
    expect(files).toContain('src/modules/pricing/pricing.service.ts')
    const found = (await violations(ROOT, files)).filter(
      (v) => v.rule.name === 'pricing-never-personal',
    )
    expect(found).toEqual([])
  }, 120_000)
})
