import type { DataParticipant } from '../../storage/participant.js'
import type { RightsService } from './rights.service.js'

/**
 * The outbox's part in data-subject rights (the one port, `DataParticipant` in `src/storage/participant.ts`): verification codes
 * waiting in the outbox, each with the address it goes to, found by the subject's rights requests (see
 * `rights.messages`).
 */
export function outboxDataParticipant(rights: RightsService) {
  return {
    name: 'outbox',
    exportSubject: (subjectId: string) => rights.messages.exportSubject(subjectId),
    eraseSubject: (executor, subjectId) => rights.messages.eraseSubject(executor, subjectId),
  } satisfies DataParticipant
}
