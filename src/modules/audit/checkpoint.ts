import {
  type KeyObject,
  createHash,
  createPrivateKey,
  createPublicKey,
  sign,
  verify,
} from 'node:crypto'

/**
 * Signed checkpoints of the audit tree, in the text format transparency logs share (C2SP
 * `tlog-checkpoint` inside a C2SP `signed-note`, as Go's checksum database and Sigstore's Rekor v2 use),
 * so existing witnesses and tools can read them:
 *
 * ```
 * candor/audit/4f1c0a9e2b7d          <- origin: names this log
 * 1234                               <- tree size (entries)
 * 3q2+7w...=                         <- root hash, base64
 * timestamp 2026-03-02T09:00:00.000Z <- extension line: when it was signed
 *
 * — candor/audit/4f1c0a9e2b7d AbCdEf...  <- key name, base64(4-byte key id || Ed25519 signature)
 * ```
 *
 * The signature covers every byte before the blank line. Ed25519 by node:crypto.
 */
export interface Checkpoint {
  origin: string
  treeSize: number
  /** Root hash, 32 bytes. */
  rootHash: Buffer
  /** ISO 8601, UTC. */
  timestamp: string
}

export interface SignedCheckpoint extends Checkpoint {
  /** The whole signed note, as published. */
  note: string
}

/** An Ed25519 signing key from the key file (a 32-byte seed), with its public half. */
export interface CheckpointSigner {
  origin: string
  privateKey: KeyObject
  publicKey: Buffer
}

/** RFC 8410's PKCS#8 header for an Ed25519 private key; the 32-byte seed follows it. */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')
/** The SPKI header for an Ed25519 public key; the 32-byte key follows it. */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')
/** The signed-note algorithm byte for Ed25519. */
const ALG_ED25519 = 0x01
const SIGNATURE_PREFIX = '\u2014 '

export function createCheckpointSigner(origin: string, seed: Buffer): CheckpointSigner {
  const privateKey = createPrivateKey({
    key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]),
    format: 'der',
    type: 'pkcs8',
  })
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' })
  return { origin, privateKey, publicKey: spki.subarray(spki.length - 32) }
}

/** The signed-note key id: the first 4 bytes of SHA-256(name || "\n" || 0x01 || public key). */
export function keyId(name: string, publicKey: Buffer): Buffer {
  return createHash('sha256')
    .update(`${name}\n`)
    .update(Buffer.from([ALG_ED25519]))
    .update(publicKey)
    .digest()
    .subarray(0, 4)
}

/**
 * The verifier key to publish beside checkpoints, in the signed-note form
 * `<name>+<key id hex>+<base64(0x01 || public key)>` (what Go's `note.NewVerifier` reads).
 */
export function verifierKey(origin: string, publicKey: Buffer): string {
  const id = keyId(origin, publicKey).toString('hex')
  const encoded = Buffer.concat([Buffer.from([ALG_ED25519]), publicKey]).toString('base64')
  return `${origin}+${id}+${encoded}`
}

/** Reads a verifier key (see `verifierKey`); undefined when it is not one. */
export function parseVerifierKey(text: string): { origin: string; publicKey: Buffer } | undefined {
  const match = /^([^+\s]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/=]+)$/.exec(text.trim())
  if (match === null) return undefined
  const [, origin = '', id = '', encoded = ''] = match
  const raw = Buffer.from(encoded, 'base64')
  if (raw.length !== 33 || raw[0] !== ALG_ED25519) return undefined
  const publicKey = raw.subarray(1)
  if (keyId(origin, publicKey).toString('hex') !== id) return undefined
  return { origin, publicKey }
}

function body(checkpoint: Checkpoint): string {
  return (
    `${checkpoint.origin}\n${checkpoint.treeSize}\n${checkpoint.rootHash.toString('base64')}\n` +
    `timestamp ${checkpoint.timestamp}\n`
  )
}

export function signCheckpoint(checkpoint: Checkpoint, signer: CheckpointSigner): SignedCheckpoint {
  const text = body(checkpoint)
  const signature = sign(null, Buffer.from(text), signer.privateKey)
  const id = keyId(signer.origin, signer.publicKey)
  const line = `${SIGNATURE_PREFIX}${signer.origin} ${Buffer.concat([id, signature]).toString('base64')}\n`
  return { ...checkpoint, note: `${text}\n${line}` }
}

export class CheckpointFormatError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'CheckpointFormatError'
  }
}

interface ParsedNote {
  checkpoint: Checkpoint
  text: string
  signatures: { name: string; id: Buffer; signature: Buffer }[]
}

/** Reads a signed checkpoint note; throws CheckpointFormatError naming what is wrong. */
export function parseCheckpointNote(note: string): ParsedNote {
  const normalized = note.replace(/\r\n/g, '\n')
  const split = normalized.indexOf('\n\n')
  if (split < 0) throw new CheckpointFormatError('no blank line before the signature lines')
  const text = normalized.slice(0, split + 1)
  const lines = text.slice(0, -1).split('\n')
  const [origin, sizeText, rootText, ...extensions] = lines
  if (origin === undefined || origin === '') throw new CheckpointFormatError('no origin line')
  if (sizeText === undefined || !/^(0|[1-9][0-9]*)$/.test(sizeText)) {
    throw new CheckpointFormatError('the second line must be the tree size, a whole number')
  }
  const rootHash = Buffer.from(rootText ?? '', 'base64')
  if (rootHash.length !== 32 || rootHash.toString('base64') !== rootText) {
    throw new CheckpointFormatError('the third line must be the root hash, 32 bytes in base64')
  }
  const stamp = extensions.find((line) => line.startsWith('timestamp '))
  const signatures: ParsedNote['signatures'] = []
  for (const line of normalized.slice(split + 2).split('\n')) {
    if (line === '') continue
    const match = /^\u2014 (\S+) ([A-Za-z0-9+/=]+)$/.exec(line)
    if (match === null) throw new CheckpointFormatError('a signature line is malformed')
    const raw = Buffer.from(match[2] ?? '', 'base64')
    if (raw.length !== 4 + 64) throw new CheckpointFormatError('a signature is not Ed25519')
    signatures.push({ name: match[1] ?? '', id: raw.subarray(0, 4), signature: raw.subarray(4) })
  }
  if (signatures.length === 0) throw new CheckpointFormatError('the checkpoint is not signed')
  return {
    checkpoint: {
      origin,
      treeSize: Number(sizeText),
      rootHash,
      timestamp: stamp?.slice('timestamp '.length) ?? '',
    },
    text,
    signatures,
  }
}

/**
 * Reads a checkpoint and checks its signature against the given keys (a log's current and earlier keys).
 * Returns the checkpoint when one of them signed it; otherwise says why not.
 */
export function openCheckpoint(
  note: string,
  keys: readonly { origin: string; publicKey: Buffer }[],
): { ok: true; checkpoint: SignedCheckpoint } | { ok: false; reason: string } {
  let parsed: ParsedNote
  try {
    parsed = parseCheckpointNote(note)
  } catch (error) {
    if (error instanceof CheckpointFormatError) {
      return { ok: false, reason: `not a checkpoint: ${error.message}` }
    }
    throw error
  }
  for (const key of keys) {
    if (key.origin !== parsed.checkpoint.origin) continue
    const id = keyId(key.origin, key.publicKey)
    for (const signature of parsed.signatures) {
      if (signature.name !== key.origin || !signature.id.equals(id)) continue
      const publicKey = createPublicKey({
        key: Buffer.concat([ED25519_SPKI_PREFIX, key.publicKey]),
        format: 'der',
        type: 'spki',
      })
      if (verify(null, Buffer.from(parsed.text), publicKey, signature.signature)) {
        return { ok: true, checkpoint: { ...parsed.checkpoint, note } }
      }
      return { ok: false, reason: 'the checkpoint signature is not valid (the note was altered)' }
    }
  }
  if (!keys.some((key) => key.origin === parsed.checkpoint.origin)) {
    return {
      ok: false,
      reason: `the checkpoint is for another log (origin ${parsed.checkpoint.origin})`,
    }
  }
  return { ok: false, reason: "the checkpoint is not signed by this log's key" }
}

/**
 * The signed note from a saved checkpoint file: the note itself, or the JSON of
 * `GET /v1/audit/checkpoint` / `candor audit checkpoint --json` (its `note` field).
 */
export function noteFromSaved(text: string): string {
  const trimmed = text.trimStart()
  if (!trimmed.startsWith('{')) return text
  try {
    const parsed = JSON.parse(trimmed) as { note?: unknown }
    if (typeof parsed.note === 'string') return parsed.note
  } catch {
    // Not JSON after all: the checks that follow say what is wrong with it.
  }
  return text
}
