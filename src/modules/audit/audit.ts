import { z } from 'zod'

/** Who did something. Never a name or an email: keys by id, shoppers by pseudonym. */
export type Actor =
  | { kind: 'api_key'; keyId: string; role: string }
  | { kind: 'shopper'; subjectId: string }
  | { kind: 'system'; name: string }
  | { kind: 'cli'; command: string }

export function describeActor(actor: Actor): string {
  switch (actor.kind) {
    case 'api_key':
      return `key:${actor.keyId}`
    case 'shopper':
      return `shopper:${actor.subjectId}`
    case 'system':
      return `system:${actor.name}`
    case 'cli':
      return `cli:${actor.command}`
  }
}

/** What a caller asks to append. `details` must hold no personal data (counts, ids, purposes). */
export interface AuditInput {
  actor: Actor
  action: string
  subjectId?: string | null
  details?: Record<string, unknown>
}

export const AuditEntrySchema = z.object({
  seq: z.number().int(),
  at: z.string(),
  actor: z.string(),
  action: z.string(),
  subjectId: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
  prevHash: z.string(),
  hash: z.string(),
})
export type AuditEntry = z.infer<typeof AuditEntrySchema>

export type ChainVerification =
  | { ok: true; entries: number; headHash: string }
  | { ok: false; entries: number; firstBrokenSeq: number; reason: string }

/** The hash that precedes the first entry. */
export const GENESIS_HASH = '0'.repeat(64)
