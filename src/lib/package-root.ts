import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

let cached: string | undefined

/**
 * The folder of Candor's package.json, found from this file whether it runs from `src/` (tsx, tests) or
 * from `dist/src/` (npm start): the built web pages, the SDK and the demo data are found from there.
 */
export function packageRoot(): string {
  if (cached !== undefined) return cached
  let dir = path.dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const file = path.join(dir, 'package.json')
    if (
      fs.existsSync(file) &&
      (JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string }).name === 'candor'
    ) {
      cached = dir
      return dir
    }
    const parent = path.dirname(dir)
    if (parent === dir)
      throw new Error('cannot find the candor package.json above ' + fileURLToPath(import.meta.url))
    dir = parent
  }
}
