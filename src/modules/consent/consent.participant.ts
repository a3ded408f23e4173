import type { DataParticipant } from '../../storage/participant.js'
import type { ConsentService } from './consent.service.js'

/** The consent module's part in data-subject rights (the one port, `DataParticipant` in `src/storage/participant.ts`): the ledger. */
export function consentDataParticipant(consent: ConsentService) {
  return {
    name: 'consent',
    exportSubject: (subjectId: string) => consent.exportSubject(subjectId),
    eraseSubject: (executor, subjectId) => consent.eraseSubject(executor, subjectId),
  } satisfies DataParticipant
}
