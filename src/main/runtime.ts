import tty from 'node:tty'
import { pino, type Logger } from 'pino'
import PinoPretty from 'pino-pretty'
import { type Config, parseConfig } from '../config.js'
import { type RequestLog, directRequestLog } from '../http/request-log.js'
import { type Clock, systemClock } from '../lib/clock.js'
import { ensurePrivateDir } from '../lib/private-files.js'
import { loadCharterFile } from '../modules/charter/index.js'
import { createKeyringHolder, loadOrCreateKeyring } from '../modules/identity/index.js'
import { type Services, createServices } from './compose.js'
import { createStorage } from '../storage/db.js'
import { migrateToLatest } from '../storage/migrate.js'

export interface Runtime {
  config: Config
  logger: Logger
  /** The HTTP server's line per request, to the logger's destination (see `directRequestLog`). */
  requestLog: RequestLog
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

/**
 * The server's log (stdout) is written in blocks of 3 to 4 KiB, and at least once a second, rather than
 * a write per line: with a line per request, one write each was the single largest cost of serving a
 * request. A crash can lose the last second of log lines (an exit, even on an error, writes them out).
 * A block holds whole lines and never exceeds 4096 bytes (PIPE_BUF), so worker processes sharing one
 * pipe never split each other's lines (only a single line longer than that could be). The CLI's log
 * (stderr: warnings) is written at once. On a terminal (or with CANDOR_LOG_FORMAT=pretty) lines are
 * readable text instead of JSON, written at once: a person reads them, no collector parses them.
 */
export function createLogging(
  level: Config['logLevel'],
  destination: 1 | 2 = 1,
  format: Config['logFormat'] = 'auto',
): { logger: Logger; requestLog: RequestLog } {
  const pretty = format === 'pretty' || (format === 'auto' && tty.isatty(destination))
  const stream = pretty
    ? // A person at a terminal: one readable, coloured line each (pino-pretty, written at once).
      PinoPretty({
        destination,
        sync: true,
        colorize: tty.isatty(destination),
        translateTime: 'SYS:HH:MM:ss',
        ignore: 'pid,hostname',
      })
    : destination === 1
      ? pino.destination({ dest: 1, minLength: 3072, maxWrite: 4096, periodicFlush: 1000 })
      : pino.destination(destination)
  const logger = pino({ level, redact: { paths: REDACT, censor: '[redacted]' } }, stream)
  return { logger, requestLog: directRequestLog(() => logger.isLevelEnabled('info'), stream) }
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
  const { logger, requestLog } = createLogging(
    options.logLevel ?? config.logLevel,
    options.logDestination ?? 1,
    config.logFormat,
  )
  const charter = await loadCharterFile(config.charterFile)
  // Keys, the database and the demo staff key live here: owner-only (created 0700, or tightened).
  ensurePrivateDir(config.dataDir)
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
    requestLog,
    services,
    close: () => storage.close(),
  }
}
