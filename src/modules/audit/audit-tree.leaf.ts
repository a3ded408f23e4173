import { canonicalJson } from '../../lib/crypto.js'
import type { AuditRow } from './audit.repository.js'
import { type Hash, leafHash } from './merkle.js'

/**
 * The bytes an entry contributes as a leaf: its fields in canonical JSON (`details` as stored). The
 * chain's `prevHash` and `hash` are left out: the tree does not depend on the chain.
 */
export function entryLeaf(row: Omit<AuditRow, 'hash' | 'prevHash'>): Hash {
  return leafHash(
    canonicalJson([row.seq, row.at, row.actor, row.action, row.subjectId, row.details]),
  )
}
