/**
 * The partner's side of the clean room, as `candor cleanroom blind|reblind|match` runs it: no database,
 * no Candor key file, only the partner's own 32-byte secret (a file it keeps, made 0600 on first use)
 * and its list of addresses. The files it writes are the request bodies of the clean-room routes:
 * `blind` writes `{"blinded": [...]}` for `POST /v1/cleanroom/uploads`, `reblind` reads that call's
 * answer and writes `{"reblinded": [...]}` for `POST /v1/cleanroom/uploads/{id}/matches`.
 */
import fs from 'node:fs'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import { tightenIfExists } from '../../lib/private-files.js'
import {
  BLINDED_HEX,
  blindAddress,
  mapInSlices,
  normalizeAddress,
  partnerScalar,
  reblind,
  shuffle,
} from './cleanroom.psi.js'

/** A problem with the partner's input: the message names the line or position, never a value. */
export class CleanroomInputError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'CleanroomInputError'
  }
}

/**
 * The partner's secret: read from `file` (64 hex digits), or made there with 32 random bytes, readable
 * by its owner only. `created` says which, so the command can tell the partner to keep it.
 */
export function loadOrCreatePartnerKey(file: string): { secret: Buffer; created: boolean } {
  if (!fs.existsSync(file)) {
    // A missing folder is made owner-only; an existing one (the partner's working folder) is left as is.
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true, mode: 0o700 })
    const secret = randomBytes(32)
    fs.writeFileSync(file, `${secret.toString('hex')}\n`, { mode: 0o600, flag: 'wx' })
    return { secret, created: true }
  }
  tightenIfExists(file)
  const text = fs.readFileSync(file, 'utf8').trim()
  if (!/^[0-9a-f]{64}$/.test(text))
    throw new CleanroomInputError(`${file}: is not a clean-room key (64 hex digits)`)
  return { secret: Buffer.from(text, 'hex'), created: false }
}

/**
 * The addresses in a file of one address per line, or a CSV whose first column is the address (quotes
 * around it are removed). Lines whose first column holds no `@` (a header row, say) and empty lines are
 * skipped and counted; duplicates after normalization count once.
 */
export function readAddresses(text: string): { addresses: string[]; skipped: number } {
  const seen = new Set<string>()
  let skipped = 0
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') continue
    const first = (line.split(',')[0] ?? '').trim().replace(/^"(.*)"$/, '$1')
    const address = normalizeAddress(first)
    if (!address.includes('@')) skipped += 1
    else seen.add(address)
  }
  return { addresses: [...seen], skipped }
}

/** Step 1: H(x)^a of every address, shuffled, as the upload body. */
export async function blindAddresses(
  addresses: readonly string[],
  secret: Buffer,
): Promise<{ blinded: string[] }> {
  const scalar = partnerScalar(secret)
  return { blinded: shuffle(await mapInSlices(addresses, (a) => blindAddress(a, scalar))) }
}

/**
 * Step 3: Candor's values raised to the partner's secret, in the order received (Candor finds its own
 * subjects by position), as the matches body. `answer` is the upload call's answer, or any object with
 * `candorBlinded`.
 */
export async function reblindAnswer(
  answer: unknown,
  secret: Buffer,
): Promise<{ reblinded: string[] }> {
  const values = (answer as { candorBlinded?: unknown } | null)?.candorBlinded
  if (!Array.isArray(values))
    throw new CleanroomInputError('the file has no candorBlinded list (the answer of the upload)')
  const scalar = partnerScalar(secret)
  const reblinded = await mapInSlices(values, (value: unknown, i) => {
    const out =
      typeof value === 'string' && BLINDED_HEX.test(value) ? reblind(value, scalar) : undefined
    if (out === undefined)
      throw new CleanroomInputError(`candorBlinded.${i}: is not a blinded value (64 hex digits)`)
    return out
  })
  return { reblinded }
}
