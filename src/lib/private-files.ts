import fs from 'node:fs'

/**
 * Candor's files hold personal data (the SQLite database), secrets (the key file, the demo staff key) or
 * both, so only the user the server runs as may read them: folders 0700, files 0600, whatever the umask.
 * Folders and files that exist already are tightened too (a data dir made 0755 by an older version).
 */
export const PRIVATE_DIR_MODE = 0o700
export const PRIVATE_FILE_MODE = 0o600

/** Creates the folder (and its parents) if missing, and makes the folder itself owner-only. */
export function ensurePrivateDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE })
  tighten(dir, PRIVATE_DIR_MODE)
}

/** Creates the file empty if missing, owner-only from its first byte, and tightens one that exists. */
export function ensurePrivateFile(file: string): void {
  fs.closeSync(fs.openSync(file, 'a', PRIVATE_FILE_MODE))
  tighten(file, PRIVATE_FILE_MODE)
}

/** Makes an existing file owner-only (nothing when it does not exist, as a WAL file between uses). */
export function tightenIfExists(file: string): void {
  if (fs.existsSync(file)) tighten(file, PRIVATE_FILE_MODE)
}

function tighten(target: string, mode: number): void {
  // Only ever removes rights: group and others lose everything, the owner keeps what it has.
  const current = fs.statSync(target).mode & 0o777
  if ((current & 0o077) !== 0) fs.chmodSync(target, current & mode)
}
