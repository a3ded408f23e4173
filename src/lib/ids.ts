import { randomFillSync } from 'node:crypto'

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz'

/**
 * A random, prefixed identifier such as `req_4k2j9x...`. The prefix says what the id names
 * (`sub_`, `evt_`, `req_`, `key_`), so a stray id in a log is self-explaining.
 */
export function newId(prefix: string, length = 20): string {
  let out = ''
  for (let i = 0; i < length; i++) out += ALPHABET[randomByte() % ALPHABET.length]
  return `${prefix}_${out}`
}

/**
 * Random bytes from the system's CSPRNG, drawn a pool at a time (one call per 4 KiB rather than one
 * per id: ids are made on every request). Each byte is used once.
 */
const pool = Buffer.alloc(4096)
let poolOffset = pool.length
function randomByte(): number {
  if (poolOffset === pool.length) {
    randomFillSync(pool)
    poolOffset = 0
  }
  return pool[poolOffset++]!
}

let lastMs = 0
let counter = 0

/**
 * A prefixed id that sorts by creation time (then by creation order within this process), for
 * append-only ledgers where "latest" must be well defined even within one millisecond.
 */
export function newSortableId(prefix: string, nowMs: number): string {
  if (nowMs === lastMs) counter += 1
  else {
    lastMs = nowMs
    counter = 0
  }
  const time = Math.max(0, Math.floor(nowMs)).toString(36).padStart(9, '0')
  return `${prefix}_${time}${counter.toString(36).padStart(4, '0')}${newId('', 8).slice(1)}`
}
