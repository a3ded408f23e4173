import type { DataParticipant } from '../../storage/participant.js'
import type { AuditLog } from './audit.service.js'

/**
 * The audit log's part in data-subject rights (the one port, `DataParticipant` in `src/storage/participant.ts`): entries name the
 * subject by pseudonym only, which erasure makes unlinkable, so an export lists them and an erasure
 * leaves the chain whole.
 */
export function auditDataParticipant(audit: AuditLog) {
  return {
    name: 'audit',
    exportSubject: async (subjectId: string) => ({
      entries: await audit.listForSubject(subjectId),
    }),
    eraseSubject: async () => ({}),
  } satisfies DataParticipant
}
