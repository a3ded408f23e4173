import type { DataParticipant } from '../../storage/participant.js'
import type { CleanroomService } from './cleanroom.service.js'

/**
 * The clean room's part in data-subject rights and retention (the one port, `DataParticipant` in
 * `src/storage/participant.ts`): a subject's erasure takes them out of every overlap and every upload
 * waiting for its matches; retention deletes uploads past the charter's `insights.cleanRoom.retentionDays`.
 */
export function cleanroomDataParticipant(cleanroom: CleanroomService) {
  return {
    name: 'cleanroom',
    exportSubject: (subjectId: string) => cleanroom.exportSubject(subjectId),
    eraseSubject: (executor, subjectId) => cleanroom.eraseSubject(executor, subjectId),
    deleteExpired: (executor, now) => cleanroom.deleteExpired(executor, now),
  } satisfies DataParticipant
}
