import { spawnSync } from 'node:child_process'
import path from 'node:path'

/** The command line's entry point, run from source. */
export const CLI = path.resolve('src/main/cli.ts')

/**
 * Runs `candor <args>` to its end, as one process (node with tsx's loader, not tsx's launcher, which
 * starts a second one), warnings only on stderr; `env` comes on top of this process's environment.
 */
export function runCandor(args: string[], env: Record<string, string>) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args], {
    env: { ...process.env, CANDOR_LOG_LEVEL: 'warn', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}
