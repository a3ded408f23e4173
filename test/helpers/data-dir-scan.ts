import fs from 'node:fs'
import path from 'node:path'
import { sql } from 'kysely'
import type { TestContext } from './test-context.js'

/** Every file under the data dir, by path relative to it (the database files on SQLite included). */
export function dataDirFiles(dir: string): string[] {
  const out: string[] = []
  const walk = (at: string) => {
    for (const entry of fs.readdirSync(at, { withFileTypes: true })) {
      const full = path.join(at, entry.name)
      if (entry.isDirectory()) walk(full)
      else if (entry.isFile()) out.push(path.relative(dir, full))
    }
  }
  walk(dir)
  return out.sort()
}

/**
 * Which files of the data dir hold any of `needles`, read raw (SQLite's database, write-ahead log and
 * shared-memory files as they lie on disk, free pages included), as `file: needle` lines.
 */
export function findInDataDir(dir: string, needles: string[]): string[] {
  const found: string[] = []
  for (const file of dataDirFiles(dir)) {
    const bytes = fs.readFileSync(path.join(dir, file))
    for (const needle of needles) {
      // Both as written (UTF-8) and as UTF-16, the other text encoding a database may use.
      if (bytes.includes(Buffer.from(needle)) || bytes.includes(Buffer.from(needle, 'utf16le')))
        found.push(`${file}: ${needle}`)
    }
  }
  return found
}

/** The database tables (read through SQL, on either engine) whose rows mention `needle` anywhere. */
export async function tablesMentioning(ctx: TestContext, needle: string): Promise<string[]> {
  const tables =
    ctx.dialect === 'sqlite'
      ? (
          await sql<{ name: string }>`select name from sqlite_master where type = 'table'`.execute(
            ctx.storage.db,
          )
        ).rows.map((r) => r.name)
      : (
          await sql<{ table_name: string }>`
            select table_name from information_schema.tables
            where table_schema = current_schema() and table_type = 'BASE TABLE'`.execute(
            ctx.storage.db,
          )
        ).rows.map((r) => r.table_name)
  const hits: string[] = []
  for (const table of tables) {
    const rows = await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(
      ctx.storage.db,
    )
    const text = JSON.stringify(
      rows.rows.map((row) =>
        Object.values(row).map((value) =>
          value instanceof Uint8Array ? Buffer.from(value).toString('latin1') : value,
        ),
      ),
    )
    if (text.includes(needle)) hits.push(table)
  }
  return hits.sort()
}
