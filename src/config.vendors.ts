/**
 * Where vendor deliveries go (issue 23): per charter vendor, a webhook URL and its Standard Webhooks
 * secret, read from the environment because they are secrets and differ per installation, while the
 * charter (shared, versioned, shown in the notice) says what each vendor may receive.
 *
 *   CANDOR_VENDOR_<KEY>_URL            https:// URL deliveries are posted to (http:// only to this machine)
 *   CANDOR_VENDOR_<KEY>_SECRET         whsec_<base64>, 24 to 64 bytes, the signing secret shared with it
 *   CANDOR_VENDOR_<KEY>_DELETION_URL   where deletion requests go (default: the URL)
 *
 * `<KEY>` is the charter's vendor key in upper case with `-` as `_` (`ad-network`: `AD_NETWORK`).
 */
import { z } from 'zod'

export interface VendorDestination {
  readonly url: string
  readonly deletionUrl: string
  readonly secret: string
}

export interface VendorSettings {
  /** By environment key (`AD_NETWORK`); the vendors module matches them to charter keys. */
  readonly destinations: Readonly<Record<string, VendorDestination>>
  /** Tries before a delivery or deletion request is dead-lettered (deletions keep going, overdue). */
  readonly maxTries: number
  /** How often the delivery job runs; 0: never in this process. */
  readonly intervalSeconds: number
  /** Hours after which an unacknowledged deletion request shows as overdue. */
  readonly deletionOverdueHours: number
}

/** The error type of config.ts, passed in to keep one class without an import cycle. */
type MakeError = (variable: string, reason: string) => Error

const VARIABLE = /^CANDOR_VENDOR_([A-Z0-9_]+?)_(URL|SECRET|DELETION_URL)$/
const SETTINGS = {
  CANDOR_VENDOR_MAX_TRIES: { default: 8, min: 1, max: 100 },
  CANDOR_VENDOR_DELIVERY_INTERVAL_SECONDS: { default: 5, min: 0, max: 86_400 },
  CANDOR_VENDOR_DELETION_OVERDUE_HOURS: { default: 72, min: 1, max: 8_760 },
} as const

function isLoopbackUrl(url: URL): boolean {
  return ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname)
}

const UrlSchema = z.string().refine((value) => {
  if (!URL.canParse(value)) return false
  const url = new URL(value)
  return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackUrl(url))
}, 'must be an https:// URL (http:// only to localhost)')

const SecretSchema = z.string().refine((value) => {
  const m = /^whsec_([A-Za-z0-9+/]+={0,2})$/.exec(value)
  const bytes = m === null ? 0 : Buffer.from(m[1]!, 'base64').length
  return bytes >= 24 && bytes <= 64
}, 'must be whsec_ followed by 24 to 64 bytes in base64 (the Standard Webhooks secret format)')

function integerSetting(
  env: Readonly<Record<string, string | undefined>>,
  name: keyof typeof SETTINGS,
  error: MakeError,
): number {
  const spec = SETTINGS[name]
  const raw = env[name]?.trim() ?? ''
  if (raw === '') return spec.default
  const value = Number(raw)
  if (!/^\d+$/.test(raw) || value < spec.min || value > spec.max)
    throw error(name, `must be a whole number from ${spec.min} to ${spec.max}`)
  return value
}

/** Reads every vendor variable; a URL without its secret (or the reverse) is an error naming both. */
export function parseVendorSettings(
  env: Readonly<Record<string, string | undefined>>,
  error: MakeError,
): VendorSettings {
  const raw = new Map<string, Partial<Record<'URL' | 'SECRET' | 'DELETION_URL', string>>>()
  for (const [name, value] of Object.entries(env)) {
    const m = VARIABLE.exec(name)
    if (m === null || value === undefined || value.trim() === '') continue
    if (name in SETTINGS) continue
    const entry = raw.get(m[1]!) ?? {}
    entry[m[2] as 'URL' | 'SECRET' | 'DELETION_URL'] = value.trim()
    raw.set(m[1]!, entry)
  }
  const destinations: Record<string, VendorDestination> = {}
  for (const [key, entry] of raw) {
    const prefix = `CANDOR_VENDOR_${key}`
    if (entry.URL === undefined)
      throw error(`${prefix}_URL`, `must be set when ${prefix}_SECRET is`)
    if (entry.SECRET === undefined)
      throw error(`${prefix}_SECRET`, `must be set when ${prefix}_URL is`)
    for (const [suffix, value] of [
      ['URL', entry.URL],
      ['DELETION_URL', entry.DELETION_URL],
    ] as const) {
      const check = value === undefined ? undefined : UrlSchema.safeParse(value)
      if (check?.success === false)
        throw error(`${prefix}_${suffix}`, check.error.issues[0]!.message)
    }
    const secret = SecretSchema.safeParse(entry.SECRET)
    // The message never echoes the secret.
    if (!secret.success) throw error(`${prefix}_SECRET`, secret.error.issues[0]!.message)
    destinations[key] = Object.freeze({
      url: entry.URL,
      deletionUrl: entry.DELETION_URL ?? entry.URL,
      secret: entry.SECRET,
    })
  }
  return Object.freeze({
    destinations: Object.freeze(destinations),
    maxTries: integerSetting(env, 'CANDOR_VENDOR_MAX_TRIES', error),
    intervalSeconds: integerSetting(env, 'CANDOR_VENDOR_DELIVERY_INTERVAL_SECONDS', error),
    deletionOverdueHours: integerSetting(env, 'CANDOR_VENDOR_DELETION_OVERDUE_HOURS', error),
  })
}

/** The environment key of a charter vendor key: `ad-network` -> `AD_NETWORK`. */
export function vendorEnvKey(vendorKey: string): string {
  return vendorKey.toUpperCase().replace(/-/g, '_')
}
