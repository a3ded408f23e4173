import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { parseConfig } from '../../src/config.js'
import { createStorage } from '../../src/storage/db.js'
import { migrateToLatest } from '../../src/storage/migrate.js'

/** What the global setup tells the test files: the migrated template database of this run. */
export const PG_TEMPLATE_ENV = 'CANDOR_TEST_PG_TEMPLATE'

/** The database named `name` on the server of `url` (same user, password and options). */
export function databaseUrl(url: string, name: string): string {
  const next = new URL(url)
  next.pathname = `/${name}`
  return next.toString()
}

/** Runs statements on the server of `url` as its user, one connection, closed after. */
export async function onServer(url: string, statements: string[]): Promise<void> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    for (const statement of statements) await client.query(statement)
  } finally {
    await client.end()
  }
}

/**
 * Vitest global setup: with CANDOR_TEST_DATABASE_URL set, one database migrated to the latest schema
 * for this run, which the suites' app databases are cloned from (`create database ... template`, about
 * one to two seconds on a loaded machine) instead of each running every migration on a new schema (three
 * to four). Migrating from empty is still tested: `createTestDatabase` without `migrated` gives an
 * empty database, and the CLI and migration suites start from one. The copies and the template are
 * dropped at the end of the run, several at a time.
 */
export default async function setup(): Promise<(() => Promise<void>) | undefined> {
  const url = process.env.CANDOR_TEST_DATABASE_URL
  if (url === undefined) return undefined
  const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`
  const template = `candor_tpl_${run}`
  try {
    await onServer(url, [`create database ${template}`])
  } catch (error) {
    // A role without CREATEDB: each suite migrates a schema of its own, as it did before templates.
    if ((error as { code?: string }).code !== '42501') throw error
    process.stderr.write(
      'note: the CANDOR_TEST_DATABASE_URL role may not create databases, so each suite migrates its own schema (slower)\n',
    )
    return undefined
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'candor-template-'))
  try {
    const config = parseConfig({
      CANDOR_DATA_DIR: dir,
      CANDOR_DATABASE_URL: databaseUrl(url, template),
      CANDOR_CHARTER_FILE: path.resolve('candor.charter.yaml'),
    })
    const storage = createStorage(config.database)
    try {
      await migrateToLatest(storage)
    } finally {
      await storage.close()
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
  process.env[PG_TEMPLATE_ENV] = template
  return async () => {
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    let names: string[]
    try {
      const left = await client.query<{ name: string }>(
        `select datname as name from pg_database where datname like $1`,
        [`candor_t_${run}_%`],
      )
      names = left.rows.map((row) => row.name)
    } finally {
      await client.end()
    }
    // Four at a time: each drop mostly waits for the server's other backends, not on a core.
    const lanes = Array.from({ length: 4 }, async () => {
      for (let name = names.pop(); name !== undefined; name = names.pop())
        await onServer(url, [`drop database if exists ${name} with (force)`])
    })
    await Promise.all(lanes)
    await onServer(url, [`drop database if exists ${template} with (force)`])
  }
}
