// @ts-check
/**
 * `npm start` runs this first: it builds (`npm run build`) only when a source, configuration or lock file
 * changed since the last build, or an output is missing, so a second start does not spend ~13 s
 * compiling again. Plain JavaScript, so it starts at once. `--force` builds anyway.
 */
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import process from 'node:process'

const root = path.resolve(import.meta.dirname, '..')
const STAMP = path.join(root, 'dist', '.build-stamp')
const INPUTS = ['src', 'web', 'sdk', 'scripts', 'demo']
const FILES = ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json']
const OUTPUTS = ['dist/src/main/cli.js', 'dist/web/index.html', 'dist/sdk/candor.min.js']

/** Every input file's path, size and modification time, hashed: any edit, addition or removal changes it. */
function fingerprint() {
  const hash = createHash('sha256')
  const add = (/** @type {string} */ file) => {
    const stat = fs.statSync(file, { throwIfNoEntry: false })
    if (stat !== undefined)
      hash.update(`${path.relative(root, file)}\0${stat.size}\0${stat.mtimeMs}\n`)
  }
  const walk = (/** @type {string} */ dir) => {
    if (!fs.existsSync(dir)) return
    for (const entry of fs
      .readdirSync(dir, { withFileTypes: true })
      .sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = path.join(dir, entry.name)
      if (entry.isDirectory()) walk(full)
      else add(full)
    }
  }
  for (const dir of INPUTS) walk(path.join(root, dir))
  for (const file of FILES) add(path.join(root, file))
  return hash.digest('hex')
}

const current = fingerprint()
const previous = fs.existsSync(STAMP) ? fs.readFileSync(STAMP, 'utf8').trim() : ''
const missing = OUTPUTS.filter((file) => !fs.existsSync(path.join(root, file)))
if (!process.argv.includes('--force') && previous === current && missing.length === 0) {
  process.stderr.write('build is up to date (sources unchanged since the last build)\n')
} else {
  process.stderr.write(
    missing.length > 0
      ? 'building: first build\n'
      : 'building: sources changed since the last build\n',
  )
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
  const run = spawnSync(npm, ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' })
  if (run.status !== 0) process.exit(run.status ?? 1)
  fs.writeFileSync(STAMP, `${fingerprint()}\n`)
}
