import fs from 'node:fs'
import path from 'node:path'
import { z } from 'zod'
import { randomSecret } from '../../lib/crypto.js'
import { ensurePrivateDir } from '../../lib/private-files.js'

/**
 * The secret key file: pseudonymization keys (HMAC), vault master keys (wrap each subject's data key)
 * and shopper-token signing keys. Each kind keeps every key it ever had, by id, and names the active
 * one, so keys can rotate while older pseudonyms, wrapped keys and tokens stay readable. A pseudonym key
 * also yields, by HKDF with its own label, the key that rights-request codes are stored under
 * (`rights.verification.ts`): one more reason never to drop an old key.
 */
const KeySetSchema = z.object({
  active: z.string().min(1),
  keys: z.record(z.string(), z.string().min(40)),
})

const KeyFileSchema = z.object({
  version: z.literal(1),
  createdAt: z.string(),
  pseudonym: KeySetSchema,
  master: KeySetSchema,
  token: KeySetSchema,
  /** Ed25519 seeds that sign audit checkpoints, and the log's name (origin) in them. */
  audit: KeySetSchema.extend({ origin: z.string().regex(/^[A-Za-z0-9._/-]{1,100}$/) }).optional(),
})
export type KeyFile = z.infer<typeof KeyFileSchema>

export interface KeyEntry {
  id: string
  secret: Buffer
}

export interface KeySet {
  active: KeyEntry
  byId(id: string): KeyEntry | undefined
  all(): KeyEntry[]
}

export interface Keyring {
  pseudonym: KeySet
  master: KeySet
  token: KeySet
  audit: KeySet & { origin: string }
}

export class KeyFileError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'KeyFileError'
  }
}

function toKeySet(raw: z.infer<typeof KeySetSchema>, kind: string, file: string): KeySet {
  const entries = new Map<string, KeyEntry>()
  for (const [id, b64] of Object.entries(raw.keys)) {
    const secret = Buffer.from(b64, 'base64')
    if (secret.length !== 32) throw new KeyFileError(`${file}: ${kind} key ${id} must be 32 bytes`)
    entries.set(id, { id, secret })
  }
  const active = entries.get(raw.active)
  if (active === undefined) {
    throw new KeyFileError(
      `${file}: ${kind}.active names ${raw.active}, which is not among its keys`,
    )
  }
  return { active, byId: (id) => entries.get(id), all: () => [...entries.values()] }
}

export function keyringFromFile(file: KeyFile, source = 'key file'): Keyring {
  if (file.audit === undefined) {
    throw new KeyFileError(`${source}: has no audit signing key (a start adds one)`)
  }
  return {
    pseudonym: toKeySet(file.pseudonym, 'pseudonym', source),
    master: toKeySet(file.master, 'master', source),
    token: toKeySet(file.token, 'token', source),
    audit: { ...toKeySet(file.audit, 'audit', source), origin: file.audit.origin },
  }
}

function newKeySet(prefix: string): z.infer<typeof KeySetSchema> {
  const id = `${prefix}1`
  return { active: id, keys: { [id]: randomSecret(32).toString('base64') } }
}

/** A fresh key file's content (used on first start and by tests). */
export function generateKeyFile(now: Date): KeyFile {
  return {
    version: 1,
    createdAt: now.toISOString(),
    pseudonym: newKeySet('p'),
    master: newKeySet('m'),
    token: newKeySet('t'),
    audit: newAuditKeySet(),
  }
}

/** The audit checkpoint signing key (an Ed25519 seed) and a name for the log that stays with it. */
function newAuditKeySet(): NonNullable<KeyFile['audit']> {
  return { ...newKeySet('a'), origin: `candor/audit/${randomSecret(6).toString('hex')}` }
}

/** Writes a key file readable by its owner only, atomically (write to a temp file, then rename). */
export function writeKeyFile(file: string, content: KeyFile): void {
  ensurePrivateDir(path.dirname(file))
  const temp = `${file}.${process.pid}.tmp`
  fs.writeFileSync(temp, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600 })
  fs.renameSync(temp, file)
}

/**
 * Reads the key file, creating one with new random keys where none exists. `created` tells the caller to
 * say so clearly: losing this file makes every vault entry unreadable and every pseudonym unmatchable.
 */
export function loadOrCreateKeyring(
  file: string,
  now: Date,
): { keyring: Keyring; created: boolean } {
  if (!fs.existsSync(file)) {
    writeKeyFile(file, generateKeyFile(now))
    return { keyring: readKeyring(file), created: true }
  }
  if (readKeyFile(file).audit === undefined) addAuditKey(file)
  return { keyring: readKeyring(file), created: false }
}

/**
 * Gives a key file from before signed audit checkpoints its signing key. Processes starting together
 * take turns (an exclusive lock file), so they all end up with the same key.
 */
function addAuditKey(file: string): void {
  const lock = `${file}.audit-lock`
  const until = Date.now() + 3000
  let fd: number | undefined
  while (fd === undefined) {
    try {
      fd = fs.openSync(lock, 'wx', 0o600)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      // A lock older than a few seconds was left by a process that died holding it.
      if (Date.now() > until) fs.rmSync(lock, { force: true })
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20)
    }
  }
  try {
    const content = readKeyFile(file)
    if (content.audit === undefined) writeKeyFile(file, { ...content, audit: newAuditKeySet() })
  } finally {
    fs.closeSync(fd)
    fs.rmSync(lock, { force: true })
  }
}

export function readKeyFile(file: string): KeyFile {
  let parsed: unknown
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'))
  } catch (cause) {
    throw new KeyFileError(`${file}: cannot be read as JSON`, { cause })
  }
  const result = KeyFileSchema.safeParse(parsed)
  if (!result.success) {
    const issue = result.error.issues[0]
    throw new KeyFileError(
      `${file}: ${issue?.path.join('.') ?? ''} ${issue?.message ?? 'is invalid'}`,
    )
  }
  return result.data
}

export function readKeyring(file: string): Keyring {
  return keyringFromFile(readKeyFile(file), file)
}

/**
 * The keyring a long-running process holds. `reload` re-reads the key file, so a process that meets a key
 * id it does not know (after `candor keys rotate` in another process) picks the new key up without a
 * restart. It reads the file only when the file changed since the last read (a key file is always
 * replaced whole, see `writeKeyFile`): anyone can send a token naming a made-up key id, and that must
 * not cost a file read each time.
 */
export interface KeyringHolder {
  current(): Keyring
  reload(): Keyring
}

export function createKeyringHolder(initial: Keyring, file?: string): KeyringHolder {
  let keyring = initial
  // Unknown until the first reload, which therefore always reads.
  let readAt: string | undefined
  return {
    current: () => keyring,
    reload: () => {
      if (file === undefined) return keyring
      const now = fileVersion(file)
      if (now === undefined || now !== readAt) {
        keyring = readKeyring(file)
        readAt = now
      }
      return keyring
    },
  }
}

/** Identifies one version of a file: inode (a replaced file is a new one), size and modification time. */
function fileVersion(file: string): string | undefined {
  try {
    const stat = fs.statSync(file, { bigint: true })
    return `${stat.ino}:${stat.size}:${stat.mtimeNs}`
  } catch {
    return undefined
  }
}

/**
 * Adds a new master key to the key file and makes it the active one; older master keys stay so that
 * data keys wrapped by them can still be unwrapped until `rewrapVault` has moved them all.
 */
export function addMasterKey(file: string): string {
  const content = readKeyFile(file)
  let n = Object.keys(content.master.keys).length + 1
  while (content.master.keys[`m${n}`] !== undefined) n += 1
  const id = `m${n}`
  content.master = {
    active: id,
    keys: { ...content.master.keys, [id]: randomSecret(32).toString('base64') },
  }
  writeKeyFile(file, content)
  return id
}
