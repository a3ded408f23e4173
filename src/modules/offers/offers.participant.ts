import type { DataParticipant } from '../../storage/participant.js'
import type { OfferMail } from './offers.mail.js'

/**
 * The offers module's part in data-subject rights (the one port, `DataParticipant` in
 * `src/storage/participant.ts`): offer e-mails still waiting in the outbox, each with the address it
 * goes to, are listed in the export (no address, no content) and go with the subject's erasure. Its
 * caps and "not this" are the recommend module's.
 */
export function offersDataParticipant(mail: OfferMail) {
  return {
    name: 'offers',
    exportSubject: async (subjectId: string) => ({ messages: await mail.pendingFor(subjectId) }),
    eraseSubject: async (_executor, subjectId) => ({ messages: await mail.discardFor(subjectId) }),
  } satisfies DataParticipant
}
