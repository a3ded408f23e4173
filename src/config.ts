import os from 'node:os'
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { z } from 'zod'
import { type VendorSettings, parseVendorSettings } from './config.vendors.js'
import { type AssistantLlmSettings, parseAssistantLlmSettings } from './config.assistant.js'

/**
 * Everything Candor reads from its environment, validated once at start-up. Only `src/main/*` passes
 * `process.env` here; the rest of the code receives the frozen result.
 */
export interface Config {
  readonly port: number
  readonly host: string
  readonly dataDir: string
  readonly database: DatabaseConfig
  readonly keyFile: string
  readonly logLevel: LogLevel
  /** `json`: one JSON object per line (for log collectors); `pretty`: readable lines; `auto`: pretty on a terminal. */
  readonly logFormat: 'auto' | 'json' | 'pretty'
  readonly charterFile: string
  readonly rateLimitPerMinute: number
  /** HTTPS served directly: the PEM certificate chain and private key files (undefined: plain HTTP). */
  readonly tls: { readonly certFile: string; readonly keyFile: string } | undefined
  /** Failed authentications per client address per minute before protected routes answer 429. */
  readonly authFailuresPerMinute: number
  /**
   * Proxies whose `X-Forwarded-For` names the client (addresses or CIDR ranges); empty: the peer's
   * address is the client's, and the header is ignored (anyone could write it).
   */
  readonly trustedProxies: readonly string[]
  /**
   * Exact origins (`https://shop.example`) whose pages may call the API from the browser (CORS); empty:
   * no other origin may.
   */
  readonly corsOrigins: readonly string[]
  readonly bodyLimitBytes: number
  readonly shopperTokenTtlSeconds: number
  /**
   * How often a server retrains the item model (the `recommend.train` job); 0: servers never train
   * (neither on schedule nor with no stored model); `candor train` run on its own stores the model.
   */
  readonly trainIntervalMinutes: number
  /** How often the server deletes expired records (retention); 0 turns the background job off. */
  readonly retentionIntervalMinutes: number
  /** How often the server runs the fairness, privacy and security audits and keeps the report; 0: never. */
  readonly auditIntervalHours: number
  /**
   * How often the server runs pricing (the `pricing.run` job, the same run as the console's "Run now"):
   * suggestions for every category with rules, applied at once in `automatic` ones; 0: never.
   */
  readonly pricingIntervalHours: number
  /** Server processes `candor start` runs on the port (node:cluster); 1 serves from the process itself. */
  readonly workers: number
  /**
   * Where spike alerts on negative customer feedback are posted (an http(s) URL; the voice module,
   * issue 21); undefined: alerts are kept and listed, not posted.
   */
  readonly voiceWebhookUrl: string | undefined
  /** Vendor destinations and delivery settings (`config.vendors.ts`, issue 23). */
  readonly vendors: VendorSettings
  /** The shopping assistant's optional language model (`config.assistant.ts`); undefined: off. */
  readonly assistantLlm: AssistantLlmSettings | undefined
  /**
   * Where shoppers reach this server from outside (an http(s) origin, optionally with a path): the
   * origin of links in e-mails (offer unsubscribe links). Default: http://<host>:<port>.
   */
  readonly publicUrl: string
  /** Demo mode: the demo shop at `/`, its demo-only routes, and a seeded database (off in production). */
  readonly demo: boolean
  /** Why demo mode is on or off: set explicitly, or chosen by `auto` from where the database is. */
  readonly demoReason: DemoReason
}

/**
 * `explicit`: CANDOR_DEMO=on or off. `auto-default-sqlite`: CANDOR_DEMO unset or auto, and the database
 * is the embedded SQLite file in the default data dir (`./data`), so demo mode is on. `auto-other-database`:
 * unset or auto with any other database (PostgreSQL, or a data dir an operator chose), so it is off: a
 * production database is never seeded with fake shoppers unless someone asks for it.
 */
export type DemoReason = 'explicit' | 'auto-default-sqlite' | 'auto-other-database'

const DEFAULT_DATA_DIR = './data'

/** A comma-separated list (empty: none), each entry trimmed and checked by `valid`. */
function commaList(valid: (entry: string) => boolean, message: string) {
  return z
    .string()
    .trim()
    .transform((value) =>
      value
        .split(',')
        .map((entry) => entry.trim())
        .filter((entry) => entry !== ''),
    )
    .pipe(z.array(z.string().refine(valid, message)))
}

export type DatabaseConfig =
  | {
      readonly kind: 'sqlite'
      readonly file: string
      /** CANDOR_DATABASE_KEY: the file is encrypted at rest (SQLite3 Multiple Ciphers, ChaCha20). */
      readonly key?: string
    }
  | { readonly kind: 'postgres'; readonly url: string }

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

/** Thrown when the environment is wrong; the message names the variable and never echoes secrets. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    reason: string,
  ) {
    super(`${variable}: ${reason}`)
    this.name = 'ConfigError'
  }
}

function integer(name: string, min: number, max: number) {
  return z
    .string()
    .trim()
    .regex(/^\d+$/, `${name} must be a whole number`)
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`))
}

/** One documented entry per variable: the README's configuration table mirrors this list. */
export const CONFIG_VARIABLES = {
  CANDOR_PORT: { default: '8080', schema: integer('CANDOR_PORT', 0, 65_535) },
  CANDOR_HOST: { default: '127.0.0.1', schema: z.string().trim().min(1, 'must not be empty') },
  CANDOR_DATA_DIR: {
    default: DEFAULT_DATA_DIR,
    schema: z.string().trim().min(1, 'must not be empty'),
  },
  CANDOR_DATABASE_URL: { default: '', schema: z.string().trim() },
  CANDOR_KEY_FILE: { default: '', schema: z.string().trim() },
  CANDOR_DATABASE_KEY: { default: '', schema: z.string() },
  CANDOR_LOG_LEVEL: { default: 'info', schema: z.enum(LOG_LEVELS) },
  CANDOR_LOG_FORMAT: {
    default: 'auto',
    schema: z.enum(['auto', 'json', 'pretty'], 'must be auto, json or pretty'),
  },
  CANDOR_CHARTER_FILE: {
    default: './candor.charter.yaml',
    schema: z.string().trim().min(1, 'must not be empty'),
  },
  CANDOR_RATE_LIMIT_PER_MINUTE: {
    default: '6000',
    schema: integer('CANDOR_RATE_LIMIT_PER_MINUTE', 1, 10_000_000),
  },
  CANDOR_TLS_CERT: { default: '', schema: z.string().trim() },
  CANDOR_TLS_KEY: { default: '', schema: z.string().trim() },
  CANDOR_AUTH_FAILURES_PER_MINUTE: {
    default: '60',
    schema: integer('CANDOR_AUTH_FAILURES_PER_MINUTE', 1, 1_000_000),
  },
  CANDOR_TRUSTED_PROXIES: {
    default: '',
    schema: commaList(
      isIpOrCidr,
      'must be a comma-separated list of IP addresses or CIDR ranges (10.0.0.0/8)',
    ),
  },
  CANDOR_CORS_ORIGINS: {
    default: '',
    schema: commaList(
      isOrigin,
      'must be a comma-separated list of exact origins such as https://shop.example (scheme, host and port only: no path, no trailing slash, no *)',
    ),
  },
  CANDOR_BODY_LIMIT_BYTES: {
    default: '2097152',
    schema: integer('CANDOR_BODY_LIMIT_BYTES', 1024, 104_857_600),
  },
  CANDOR_SHOPPER_TOKEN_TTL_SECONDS: {
    default: '900',
    schema: integer('CANDOR_SHOPPER_TOKEN_TTL_SECONDS', 30, 86_400),
  },
  CANDOR_TRAIN_INTERVAL_MINUTES: {
    default: '60',
    schema: integer('CANDOR_TRAIN_INTERVAL_MINUTES', 0, 10_080),
  },
  CANDOR_RETENTION_INTERVAL_MINUTES: {
    default: '15',
    schema: integer('CANDOR_RETENTION_INTERVAL_MINUTES', 0, 1_440),
  },
  CANDOR_AUDIT_INTERVAL_HOURS: {
    default: '24',
    schema: integer('CANDOR_AUDIT_INTERVAL_HOURS', 0, 8_760),
  },
  CANDOR_PRICING_INTERVAL_HOURS: {
    default: '24',
    schema: integer('CANDOR_PRICING_INTERVAL_HOURS', 0, 8_760),
  },
  CANDOR_WORKERS: {
    default: '1',
    schema: z
      .string()
      .trim()
      .regex(/^(auto|\d+)$/, 'must be a whole number or auto')
      .transform((value) => (value === 'auto' ? os.availableParallelism() : Number(value)))
      .pipe(z.number().int().min(1, 'must be at least 1').max(64, 'must be at most 64')),
  },
  CANDOR_VOICE_WEBHOOK_URL: {
    default: '',
    schema: z
      .string()
      .trim()
      .refine(
        (value) => value === '' || (/^https?:\/\/[^\s]+$/.test(value) && URL.canParse(value)),
        'must be an http:// or https:// URL (leave it unset to keep alerts without posting them)',
      ),
  },
  CANDOR_PUBLIC_URL: {
    default: '',
    schema: z
      .string()
      .trim()
      .refine(
        (value) => value === '' || (/^https?:\/\/[^\s]+$/.test(value) && URL.canParse(value)),
        'must be an http:// or https:// URL such as https://shop.example/candor (leave it unset for http://<host>:<port>)',
      ),
  },
  CANDOR_DEMO: {
    default: 'auto',
    schema: z
      .enum(['auto', 'on', 'off', 'true', 'false', '1', '0'], 'must be auto, on or off')
      .transform((value) =>
        value === 'auto' ? undefined : value === 'on' || value === 'true' || value === '1',
      ),
  },
} as const

type VariableName = keyof typeof CONFIG_VARIABLES

function read<N extends VariableName>(
  env: Readonly<Record<string, string | undefined>>,
  name: N,
): z.output<(typeof CONFIG_VARIABLES)[N]['schema']> {
  const spec = CONFIG_VARIABLES[name]
  const raw = env[name]
  const value = raw === undefined || raw === '' ? spec.default : raw
  const parsed = spec.schema.safeParse(value)
  if (!parsed.success) {
    const reason = parsed.error.issues.map((issue) => issue.message).join('; ')
    throw new ConfigError(name, reason)
  }
  return parsed.data as z.output<(typeof CONFIG_VARIABLES)[N]['schema']>
}

function parseDatabaseUrl(value: string, dataDir: string): DatabaseConfig {
  if (value === '') return { kind: 'sqlite', file: path.join(dataDir, 'candor.sqlite') }
  if (/^postgres(ql)?:\/\//.test(value)) {
    try {
      new URL(value)
    } catch {
      throw new ConfigError('CANDOR_DATABASE_URL', 'is not a valid postgres:// URL')
    }
    return { kind: 'postgres', url: value }
  }
  const sqlite = /^(sqlite|file):(.+)$/.exec(value)
  if (sqlite?.[2] !== undefined) return { kind: 'sqlite', file: path.resolve(sqlite[2]) }
  throw new ConfigError(
    'CANDOR_DATABASE_URL',
    'must start with postgres://, postgresql://, sqlite: or file: (leave it unset for SQLite in CANDOR_DATA_DIR)',
  )
}

/**
 * Validates the environment into a frozen `Config`. Throws `ConfigError` naming the first wrong variable.
 *
 * @example parseConfig({ CANDOR_PORT: '9000' }).port // 9000
 */
export function parseConfig(env: Readonly<Record<string, string | undefined>>): Config {
  const dataDir = path.resolve(read(env, 'CANDOR_DATA_DIR'))
  const keyFile = read(env, 'CANDOR_KEY_FILE')
  const database = withDatabaseKey(
    parseDatabaseUrl(read(env, 'CANDOR_DATABASE_URL'), dataDir),
    read(env, 'CANDOR_DATABASE_KEY'),
  )
  const demoSetting = read(env, 'CANDOR_DEMO')
  const defaultSqlite =
    database.kind === 'sqlite' &&
    database.file === path.join(path.resolve(DEFAULT_DATA_DIR), 'candor.sqlite')
  return Object.freeze({
    port: read(env, 'CANDOR_PORT'),
    host: read(env, 'CANDOR_HOST'),
    dataDir,
    database: Object.freeze(database),
    keyFile: keyFile === '' ? path.join(dataDir, 'candor.keys.json') : path.resolve(keyFile),
    logLevel: read(env, 'CANDOR_LOG_LEVEL'),
    logFormat: read(env, 'CANDOR_LOG_FORMAT'),
    charterFile: path.resolve(read(env, 'CANDOR_CHARTER_FILE')),
    rateLimitPerMinute: read(env, 'CANDOR_RATE_LIMIT_PER_MINUTE'),
    tls: parseTls(read(env, 'CANDOR_TLS_CERT'), read(env, 'CANDOR_TLS_KEY')),
    authFailuresPerMinute: read(env, 'CANDOR_AUTH_FAILURES_PER_MINUTE'),
    trustedProxies: Object.freeze(read(env, 'CANDOR_TRUSTED_PROXIES')),
    corsOrigins: Object.freeze(read(env, 'CANDOR_CORS_ORIGINS')),
    bodyLimitBytes: read(env, 'CANDOR_BODY_LIMIT_BYTES'),
    shopperTokenTtlSeconds: read(env, 'CANDOR_SHOPPER_TOKEN_TTL_SECONDS'),
    trainIntervalMinutes: read(env, 'CANDOR_TRAIN_INTERVAL_MINUTES'),
    retentionIntervalMinutes: read(env, 'CANDOR_RETENTION_INTERVAL_MINUTES'),
    auditIntervalHours: read(env, 'CANDOR_AUDIT_INTERVAL_HOURS'),
    pricingIntervalHours: read(env, 'CANDOR_PRICING_INTERVAL_HOURS'),
    workers: read(env, 'CANDOR_WORKERS'),
    voiceWebhookUrl: read(env, 'CANDOR_VOICE_WEBHOOK_URL') || undefined,
    vendors: parseVendorSettings(env, (variable, reason) => new ConfigError(variable, reason)),
    assistantLlm: parseAssistantLlmSettings(
      env,
      (variable, reason) => new ConfigError(variable, reason),
    ),
    publicUrl:
      read(env, 'CANDOR_PUBLIC_URL') ||
      `http://${read(env, 'CANDOR_HOST')}:${read(env, 'CANDOR_PORT')}`,
    demo: demoSetting ?? defaultSqlite,
    demoReason:
      demoSetting !== undefined
        ? 'explicit'
        : defaultSqlite
          ? 'auto-default-sqlite'
          : 'auto-other-database',
  })
}

/** Whether the server listens only on this machine (127.0.0.0/8, ::1, localhost). */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host)
}

/** An origin exactly as a browser sends it in `Origin`: `http(s)://host[:port]`, nothing more. */
function isOrigin(entry: string): boolean {
  try {
    const url = new URL(entry)
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === entry
  } catch {
    return false
  }
}

/** An IPv4 or IPv6 address, optionally with a /prefix length in range. */
function isIpOrCidr(entry: string): boolean {
  const [address = '', prefix, ...rest] = entry.split('/')
  const version = net.isIP(address)
  if (version === 0 || rest.length > 0) return false
  if (prefix === undefined) return true
  const bits = Number(prefix)
  return /^\d+$/.test(prefix) && bits <= (version === 4 ? 32 : 128)
}

/** Both files or neither; each must be readable now, so a typo stops the start, not the first handshake. */
function parseTls(cert: string, key: string): Config['tls'] {
  if (cert === '' && key === '') return undefined
  if (cert === '')
    throw new ConfigError('CANDOR_TLS_CERT', 'must be set too when CANDOR_TLS_KEY is')
  if (key === '') throw new ConfigError('CANDOR_TLS_KEY', 'must be set too when CANDOR_TLS_CERT is')
  for (const [name, file] of [
    ['CANDOR_TLS_CERT', cert],
    ['CANDOR_TLS_KEY', key],
  ] as const) {
    try {
      fs.accessSync(file, fs.constants.R_OK)
    } catch {
      throw new ConfigError(name, 'names a file that does not exist or cannot be read')
    }
  }
  return Object.freeze({ certFile: path.resolve(cert), keyFile: path.resolve(key) })
}

/**
 * CANDOR_DATABASE_KEY encrypts the SQLite file at rest; PostgreSQL has its own means (disk or tablespace
 * encryption), so the key is refused there rather than silently ignored. Never echoed in an error.
 */
function withDatabaseKey(database: DatabaseConfig, key: string): DatabaseConfig {
  if (key === '') return database
  if (database.kind !== 'sqlite') {
    throw new ConfigError(
      'CANDOR_DATABASE_KEY',
      'applies to the SQLite database only; encrypt PostgreSQL with its own disk or tablespace encryption',
    )
  }
  if (key.length < 16)
    throw new ConfigError('CANDOR_DATABASE_KEY', 'must be at least 16 characters')
  return { ...database, key }
}
