/**
 * The plaintext scan of the privacy audit: every vault value (decrypted here, in memory only; a
 * bounded sample of the vault) looked for in the database as it lies at rest, the SQLite file and its
 * write-ahead log byte by byte (free pages and old page images included), or every PostgreSQL table's
 * rows as text. It reports where a value was found, never the value.
 */
import fs from 'node:fs'
import type { Config } from '../../config.js'
import type { Db } from '../../storage/db.js'
import type { IdentityService } from '../identity/index.js'
import { tableNames, valuesInTable, vaultSubjects } from './reviews.repository.js'
import type { PrivacyAudit } from './reviews.js'

export interface PlaintextDeps {
  db: Db
  dialect: 'sqlite' | 'postgres'
  config: Pick<Config, 'database'>
  identity: Pick<IdentityService, 'readVault'>
}

/** Vault values shorter than this are too common to look for (a two-letter country, say). */
const MIN_SCANNED_LENGTH = 5
/** Vault values looked for at most (an even sample of the vault beyond that), to bound the scan. */
export const MAX_SCANNED_VALUES = 500
/** The SQLite files are read in pieces of this size (each overlapping the last by the longest value). */
const SCAN_CHUNK = 8 * 1024 * 1024

/**
 * Looks for every vault value (decrypted here, in memory only) in the database as it lies at rest:
 * the SQLite file and its write-ahead log byte by byte (free pages included), or every PostgreSQL
 * table's rows as text. Reports where, never what.
 */
export async function plaintextScan(deps: PlaintextDeps): Promise<PrivacyAudit['plaintext']> {
  const values = new Set<string>()
  const subjects = await vaultSubjects(deps.db)
  const stride = Math.max(1, Math.ceil(subjects.length / Math.ceil(MAX_SCANNED_VALUES / 2)))
  for (const subjectId of subjects.filter((_, k) => k % stride === 0)) {
    const vault = await deps.identity.readVault(subjectId)
    for (const value of Object.values(vault ?? {}))
      if (typeof value === 'string' && value.length >= MIN_SCANNED_LENGTH) values.add(value)
  }
  const where = new Set<string>()
  let found = 0
  const needles = [...values].map((v) => ({ text: v, bytes: Buffer.from(v, 'utf8') }))
  const hits = new Set<string>()
  const longest = Math.max(0, ...needles.map((n) => n.bytes.length))
  const look = (place: string, haystack: Buffer) => {
    for (const needle of needles) {
      if (haystack.indexOf(needle.bytes) < 0) continue
      where.add(place)
      hits.add(needle.text)
    }
  }
  if (needles.length > 0) {
    if (deps.config.database.kind === 'sqlite') {
      const file = deps.config.database.file
      for (const [place, path] of [
        ['database file', file],
        ['write-ahead log', `${file}-wal`],
      ] as const)
        if (fs.existsSync(path)) for (const chunk of fileChunks(path, longest)) look(place, chunk)
    } else {
      for (const table of await tableNames(deps.db, deps.dialect))
        for (const value of await valuesInTable(deps.db, table, [...values])) {
          where.add(`table ${table}`)
          hits.add(value)
        }
    }
    found = hits.size
  }
  return { valuesChecked: values.size, found, where: [...where].sort() }
}

/** A file's bytes in `SCAN_CHUNK` pieces, each starting `overlap` bytes before the last ended. */
export function* fileChunks(file: string, overlap: number): Generator<Buffer> {
  const fd = fs.openSync(file, 'r')
  try {
    const buffer = Buffer.alloc(SCAN_CHUNK + overlap)
    let position = 0
    let carried = 0
    for (;;) {
      const read = fs.readSync(fd, buffer, carried, SCAN_CHUNK, position)
      if (read === 0) return
      position += read
      const filled = carried + read
      yield buffer.subarray(0, filled)
      carried = Math.min(overlap, filled)
      buffer.copy(buffer, 0, filled - carried, filled)
    }
  } finally {
    fs.closeSync(fd)
  }
}
