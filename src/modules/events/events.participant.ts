import type { DataParticipant } from '../../storage/participant.js'
import type { EventsService } from './events.service.js'

/**
 * The events module's part in data-subject rights and retention (the one port, `DataParticipant` in `src/storage/participant.ts`): a
 * subject's events, the rectification that deletes the events they say are not theirs, and the
 * retention sweep.
 */
export function eventsDataParticipant(events: EventsService) {
  return {
    name: 'events',
    exportSubject: (subjectId: string) => events.exportSubject(subjectId),
    eraseSubject: (executor, subjectId) => events.eraseSubject(executor, subjectId),
    rectify: (executor, subjectId, input) =>
      events.deleteSubjectEvents(executor, subjectId, input.notMyEvents ?? []),
    deleteExpired: (executor, now) => events.deleteExpired(executor, now),
    prepareExpiry: (now) => events.prepareExpiry(now),
  } satisfies DataParticipant<{ notMyEvents?: readonly string[] | undefined }>
}
