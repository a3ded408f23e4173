/**
 * Builds the browser SDK (sdk/src/candor.ts) into one minified file, `dist/sdk/candor.min.js`, that a
 * shop loads with a script tag (global `Candor`), and reports its gzipped size against the budget.
 *
 * Run: `npm run build:sdk` (also part of `npm run build`).
 */
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

/** The most the core SDK may weigh, gzipped. */
export const SDK_BUDGET_GZIP_BYTES = 15 * 1024

export interface SdkBuild {
  code: string
  bytes: number
  gzipBytes: number
  outfile?: string
}

/** Bundles and minifies the SDK; writes it when `outfile` is given. */
export async function buildSdk(options: { outfile?: string } = {}): Promise<SdkBuild> {
  const result = await build({
    entryPoints: [path.join(ROOT, 'sdk/src/candor.ts')],
    bundle: true,
    minify: true,
    format: 'iife',
    globalName: 'Candor',
    target: ['es2020'],
    platform: 'browser',
    write: false,
    legalComments: 'none',
    logLevel: 'silent',
  })
  const code = result.outputFiles[0]?.text ?? ''
  const gzipBytes = gzipSync(code, { level: 9 }).length
  if (options.outfile !== undefined) {
    fs.mkdirSync(path.dirname(options.outfile), { recursive: true })
    fs.writeFileSync(options.outfile, code)
  }
  return {
    code,
    bytes: Buffer.byteLength(code),
    gzipBytes,
    ...(options.outfile === undefined ? {} : { outfile: options.outfile }),
  }
}

if (
  process.argv[1] !== undefined &&
  path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)
) {
  const outfile = path.join(ROOT, 'dist/sdk/candor.min.js')
  const sdk = await buildSdk({ outfile })
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`
  process.stdout.write(
    `sdk: ${path.relative(ROOT, outfile)} ${kb(sdk.bytes)}, ${kb(sdk.gzipBytes)} gzipped (budget ${kb(SDK_BUDGET_GZIP_BYTES)})\n`,
  )
  if (sdk.gzipBytes > SDK_BUDGET_GZIP_BYTES) {
    process.stderr.write('sdk: over the size budget\n')
    process.exitCode = 1
  }
}
