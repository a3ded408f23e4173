import fs from 'node:fs'
import path from 'node:path'
import { build } from 'vite'
import { buildSdk } from '../../scripts/build-sdk.js'

function newest(dir: string): number {
  let latest = 0
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name)
    latest = Math.max(latest, entry.isDirectory() ? newest(full) : fs.statSync(full).mtimeMs)
  }
  return latest
}

/**
 * Vitest global setup: the browser suites need the built pages and SDK (CI runs the tests without
 * `npm run build`), so build them when they are missing or older than their sources.
 */
export default async function setup(): Promise<void> {
  const root = path.resolve(import.meta.dirname, '../..')
  const html = path.join(root, 'dist/web/index.html')
  const sdk = path.join(root, 'dist/sdk/candor.min.js')
  const sources = Math.max(newest(path.join(root, 'web')), newest(path.join(root, 'sdk')))
  const built = Math.min(
    fs.existsSync(html) ? fs.statSync(html).mtimeMs : 0,
    fs.existsSync(sdk) ? fs.statSync(sdk).mtimeMs : 0,
  )
  if (built > sources) return
  await build({ configFile: path.join(root, 'web/vite.config.ts'), logLevel: 'error' })
  await buildSdk({ outfile: sdk })
}
