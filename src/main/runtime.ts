import { pino, type Logger } from 'pino'
import { type Config, parseConfig } from '../config.js'
import { type Clock, systemClock } from '../lib/clock.js'
import { loadCharterFile } from '../modules/charter/index.js'
import { createKeyringHolder, loadOrCreateKeyring } from '../modules/identity/index.js'
import { type Services, createServices } from '../services.js'
import { createStorage } from '../storage/db.js'
import { migrateToLatest } from '../storage/migrate.js'

export interface Runtime {
  config: Config
  logger: Logger
  services: Services
  close(): Promise<void>
}

/** Log redaction: credentials never reach a log line, whatever a future log call passes. */
const REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
  '*.token',
  '*.key',
]

export function createLogger(level: Config['logLevel'], destination: 1 | 2 = 1): Logger {
  return pino({ level, redact: { paths: REDACT, censor: '[redacted]' } }, pino.destination(destination))
}

/**
 * Everything a command needs: validated config, the key file (created on first use), the database
 * (migrated) and the composed services. Both composition roots (server and CLI) start here.
 */
export async function openRuntime(
  env: Readonly<Record<string, string | undefined>>,
  options: { logDestination?: 1 | 2; logLevel?: Config['logLevel']; clock?: Clock } = {},
): Promise<Runtime> {
  const config = parseConfig(env)
  const clock = options.clock ?? systemClock
  const logger = createLogger(options.logLevel ?? config.logLevel, options.logDestination ?? 1)
  const charter = await loadCharterFile(config.charterFile)
  const { keyring, created } = loadOrCreateKeyring(config.keyFile, clock.now())
  if (created) {
    logger.warn(
      { keyFile: config.keyFile },
      'created a new secret key file; back it up: without it pseudonyms and the vault cannot be read',
    )
  }
  const storage = createStorage(config.database)
  try {
    const report = await migrateToLatest(storage)
    if (report.applied.length > 0) logger.info({ applied: report.applied }, 'database migrated')
  } catch (error) {
    await storage.close()
    throw error
  }
  const services = createServices({
    config,
    storage,
    clock,
    keys: createKeyringHolder(keyring, config.keyFile),
    charter,
  })
  return {
    config,
    logger,
    services,
    close: () => storage.close(),
  }
}
