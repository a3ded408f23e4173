import fs from 'node:fs'
import { sql } from 'kysely'
import type { TestContext } from './test-context.js'

/**
 * Every byte the database holds, as text: the SQLite file and its write-ahead log read raw as they lie
 * on disk (free pages and old page images included), or every table of the PostgreSQL schema dumped
 * row by row.
 */
export async function dumpDatabase(ctx: TestContext): Promise<string> {
  if (ctx.dialect === 'sqlite') {
    const file = ctx.config.database.kind === 'sqlite' ? ctx.config.database.file : ''
    const parts = [fs.readFileSync(file)]
    if (fs.existsSync(`${file}-wal`)) parts.push(fs.readFileSync(`${file}-wal`))
    return Buffer.concat(parts).toString('latin1')
  }
  const tables = await sql<{ table_name: string }>`
    select table_name from information_schema.tables
    where table_schema = current_schema() and table_type = 'BASE TABLE'`.execute(ctx.storage.db)
  const parts: string[] = []
  for (const { table_name } of tables.rows) {
    const rows = await sql<Record<string, unknown>>`select * from ${sql.table(table_name)}`.execute(
      ctx.storage.db,
    )
    parts.push(`${table_name}\n${JSON.stringify(rows.rows)}`)
  }
  return parts.join('\n')
}
