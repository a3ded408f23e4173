import { hkdfSync } from 'node:crypto'
import { hmacSha256 } from '../../lib/crypto.js'

/**
 * Experiment assignment: pure functions, no I/O.
 *
 * A unit (a pseudonymous subject id, or an anonymous visit's session key; never the shop's customer
 * reference) is hashed with HMAC-SHA256 under a key derived by HKDF from a pseudonym key of the key
 * file. The key is secret, so nobody outside Candor can compute (or steer) which variant a given
 * shopper gets, and the hash of one experiment tells nothing about another (the experiment id is in
 * the hashed message).
 *
 * Two independent draws per unit and experiment:
 * - `exposure` in [0, 1): the unit is in the rollout at a stage when `exposure < fraction`. Stage
 *   fractions never decrease, so a unit in at one stage stays in at every later stage.
 * - `variant` in [0, 1): picks the variant by cumulative weights. It does not depend on the stage, so
 *   a unit keeps its variant as the rollout widens (sticky).
 */

/** HKDF label of the assignment key: one pseudonym key serves pseudonyms and this, unlinkably. */
export const ASSIGNMENT_KEY_LABEL = 'candor/experiments/assignment/v1'

/** The assignment key for one pseudonym key secret (HKDF-SHA256, 32 bytes). */
export function deriveAssignmentKey(pseudonymSecret: Uint8Array): Buffer {
  return Buffer.from(hkdfSync('sha256', pseudonymSecret, Buffer.alloc(0), ASSIGNMENT_KEY_LABEL, 32))
}

/** What is hashed: a subject id or a session key, tagged so that the two never collide. */
export type AssignmentUnit =
  | { readonly kind: 'subject'; readonly id: string }
  | { readonly kind: 'session'; readonly id: string }

export function unitLabel(unit: AssignmentUnit): string {
  return `${unit.kind === 'subject' ? 'sub' : 'ses'}:${unit.id}`
}

/** A uniform draw in [0, 1) from the first 48 bits of HMAC(key, message). */
function draw(key: Uint8Array, message: string): number {
  const mac = hmacSha256(key, message)
  return mac.readUIntBE(0, 6) / 2 ** 48
}

export interface Draws {
  readonly exposure: number
  readonly variant: number
}

export function drawsFor(key: Uint8Array, experimentId: string, unit: AssignmentUnit): Draws {
  const label = unitLabel(unit)
  return {
    exposure: draw(key, `${experimentId}\u0000exposure\u0000${label}`),
    variant: draw(key, `${experimentId}\u0000variant\u0000${label}`),
  }
}

/** The variant index for a draw in [0, 1) and positive weights (normalized here). */
export function pickVariant(variantDraw: number, weights: readonly number[]): number {
  const total = weights.reduce((a, b) => a + b, 0)
  if (!(total > 0)) throw new RangeError('weights must sum to more than 0')
  let cumulative = 0
  for (let i = 0; i < weights.length; i++) {
    cumulative += (weights[i] ?? 0) / total
    if (variantDraw < cumulative) return i
  }
  return weights.length - 1
}

/** Checks that stage fractions lie in (0, 1] and never decrease (so a unit once in stays in). */
export function isValidStages(stages: readonly number[]): boolean {
  if (stages.length === 0) return false
  let previous = 0
  for (const s of stages) {
    if (!(s > 0 && s <= 1) || s < previous) return false
    previous = s
  }
  return true
}

export type Assignment =
  | { readonly enrolled: true; readonly variant: number }
  | { readonly enrolled: false; readonly reason: 'outside_rollout' }

/**
 * Whether a unit is in the rollout at the given exposure fraction, and then its variant.
 *
 * @example assign(key, 'exp_1', { kind: 'subject', id: 'sub_x' }, 0.05, [1, 1])
 */
export function assign(
  key: Uint8Array,
  experimentId: string,
  unit: AssignmentUnit,
  fraction: number,
  weights: readonly number[],
): Assignment {
  const d = drawsFor(key, experimentId, unit)
  if (!(d.exposure < fraction)) return { enrolled: false, reason: 'outside_rollout' }
  return { enrolled: true, variant: pickVariant(d.variant, weights) }
}
