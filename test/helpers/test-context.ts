import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type {
  FastifyBaseLogger,
  FastifyInstance,
  InjectOptions,
  LightMyRequestResponse,
} from 'fastify'
import Database from 'better-sqlite3-multiple-ciphers'
import pg from 'pg'
import { pino } from 'pino'
import { type CandorApp, buildApp } from '../../src/app.js'
import type { RequestLog } from '../../src/http/request-log.js'
import { type Config, parseConfig } from '../../src/config.js'
import { type Clock, createManualClock } from '../../src/lib/clock.js'
import { type Role, partnerVendors } from '../../src/modules/auth/index.js'
import { loadCharterFile } from '../../src/modules/charter/index.js'
import {
  createKeyringHolder,
  generateKeyFile,
  keyringFromFile,
} from '../../src/modules/identity/index.js'
import { type Services, createServices } from '../../src/main/compose.js'
import { type Storage, createStorage } from '../../src/storage/db.js'
import { migrateToLatest } from '../../src/storage/migrate.js'
import { PG_TEMPLATE_ENV, databaseUrl, onServer } from './pg-template.js'

export type DialectName = 'sqlite' | 'postgres'

const PG_URL = process.env.CANDOR_TEST_DATABASE_URL
const IN_CI = process.env.CI === 'true' || process.env.CI === '1'

/**
 * The databases every storage and HTTP suite runs on: SQLite always, PostgreSQL when
 * CANDOR_TEST_DATABASE_URL is set. In CI (CI=true) the PostgreSQL suite is always listed, and fails
 * when the URL is missing instead of being skipped.
 */
export const DIALECTS: DialectName[] =
  PG_URL !== undefined || IN_CI ? ['sqlite', 'postgres'] : ['sqlite']

if (PG_URL === undefined && !IN_CI) {
  process.stderr.write(
    'note: CANDOR_TEST_DATABASE_URL is not set, so storage suites run on SQLite only\n',
  )
}

export interface TestDatabase {
  url: string
  dir: string
  drop(): Promise<void>
}

/**
 * A fresh database: a SQLite file in a temp folder, or a new schema on the PostgreSQL server; empty,
 * or with `migrated` already at the latest schema. On PostgreSQL a migrated one is a copy of the run's
 * template database (see `pg-template.ts`), a database of its own rather than a schema, when the global
 * setup made one (and dropped by its teardown); SQLite migrates in a fraction of a second, so it is left
 * to the caller.
 */
export async function createTestDatabase(
  dialect: DialectName,
  options: { migrated?: boolean } = {},
): Promise<TestDatabase> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'candor-test-'))
  if (dialect === 'sqlite') {
    return {
      url: `sqlite:${path.join(dir, 'candor.sqlite')}`,
      dir,
      drop: async () => fs.rmSync(dir, { recursive: true, force: true }),
    }
  }
  if (PG_URL === undefined) {
    throw new Error(
      'CANDOR_TEST_DATABASE_URL is not set: in CI the PostgreSQL suite must run, not be skipped',
    )
  }
  const adminUrl = PG_URL
  const suffix = `${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`
  const template = process.env[PG_TEMPLATE_ENV]
  if (options.migrated === true && template !== undefined) {
    const name = `candor_t_${template.slice('candor_tpl_'.length)}_${suffix}`
    await onServer(adminUrl, [`create database ${name} template ${template}`])
    return {
      url: databaseUrl(adminUrl, name),
      dir,
      // The global teardown drops the run's databases, several at a time: a drop waits on every
      // backend of the server (0.5 to 4 s on a loaded machine), time a suite need not spend.
      drop: async () => fs.rmSync(dir, { recursive: true, force: true }),
    }
  }
  const schema = `t_${suffix}`
  await onServer(adminUrl, [`create schema ${schema}`])
  const url = new URL(adminUrl)
  url.searchParams.set('options', `-c search_path=${schema}`)
  return {
    url: url.toString(),
    dir,
    drop: async () => {
      await onServer(adminUrl, [`drop schema if exists ${schema} cascade`])
      fs.rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** Runs one statement straight on a test database, as another program would (no Candor code). */
export async function runSql(database: TestDatabase, dialect: DialectName, statement: string) {
  if (dialect === 'sqlite') {
    const db = new Database(database.url.slice('sqlite:'.length))
    db.exec(statement)
    db.close()
  } else {
    const client = new pg.Client({ connectionString: database.url })
    await client.connect()
    await client.query(statement)
    await client.end()
  }
}

export interface TestContext {
  dialect: DialectName
  config: Config
  clock: ReturnType<typeof createManualClock>
  storage: Storage
  services: Services
  app: FastifyInstance
  routes: CandorApp['routes']
  database: TestDatabase
  /** One API key per role, created through the real key service. */
  keys: Record<Role, string>
  /** `app.inject` with `Authorization: Bearer <credential>` when one is given. */
  request(
    options: InjectOptions & { as?: Role | { token: string } },
  ): Promise<LightMyRequestResponse>
  close(): Promise<void>
}

export interface TestContextOptions {
  env?: Record<string, string>
  clock?: Clock & ReturnType<typeof createManualClock>
  /** Where the app's line per request goes (by default nowhere: the logger is silent). */
  requestLog?: RequestLog
  /** The app's logger (by default a silent one). */
  logger?: FastifyBaseLogger
}

/** Builds a whole Candor app on a new database, as the server would, with a manual clock. */
export async function createTestContext(
  dialect: DialectName,
  options: TestContextOptions = {},
): Promise<TestContext> {
  const database = await createTestDatabase(dialect, { migrated: true })
  const config = parseConfig({
    CANDOR_DATA_DIR: database.dir,
    CANDOR_DATABASE_URL: database.url,
    CANDOR_LOG_LEVEL: 'silent',
    CANDOR_CHARTER_FILE: path.resolve('candor.charter.yaml'),
    // The suites test the demo shop's routes too; a temp data dir alone would turn demo mode off.
    CANDOR_DEMO: 'on',
    ...options.env,
  })
  const clock = options.clock ?? createManualClock('2026-03-02T09:00:00Z')
  const storage = createStorage(config.database)
  await migrateToLatest(storage)
  const keyring = keyringFromFile(generateKeyFile(clock.now()))
  const charter = await loadCharterFile(config.charterFile)
  const services = createServices({
    config,
    storage,
    clock,
    keys: createKeyringHolder(keyring),
    charter,
  })
  const { app, routes } = await buildApp({
    services,
    logger: options.logger ?? pino({ level: 'silent' }),
    ...(options.requestLog === undefined ? {} : { requestLog: options.requestLog }),
  })
  const keys = {} as Record<Role, string>
  for (const role of ['storefront', 'analyst', 'privacy_officer', 'admin'] as const) {
    keys[role] = (
      await services.auth.createApiKey(role, `test ${role}`, { kind: 'cli', command: 'test' })
    ).key
  }
  // The partner key acts for the first vendor that lists a clean-room purpose (the example charter's
  // retail-media); a charter without one gets none.
  const partnerVendor = partnerVendors(charter)[0]
  if (partnerVendor !== undefined) {
    keys.partner = (
      await services.auth.createApiKey(
        'partner',
        'test partner',
        { kind: 'cli', command: 'test' },
        { vendor: partnerVendor },
      )
    ).key
  }
  return {
    dialect,
    config,
    clock,
    storage,
    services,
    app,
    routes,
    database,
    keys,
    request(opts) {
      const { as, ...inject } = opts
      const headers: Record<string, string> = { ...(inject.headers as Record<string, string>) }
      if (as !== undefined) {
        headers.authorization = `Bearer ${typeof as === 'string' ? keys[as] : as.token}`
      }
      return app.inject({ ...inject, headers })
    },
    async close() {
      await app.close()
      await storage.close()
      await database.drop()
    },
  }
}
