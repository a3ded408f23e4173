import type { DataParticipant } from '../../storage/participant.js'
import type { ExperimentsService } from './experiments.service.js'

/**
 * The experiments module's part in data-subject rights: the experiments a subject is enrolled in are
 * in their export and their enrolments go with their erasure.
 */
export function experimentsDataParticipant(experiments: ExperimentsService) {
  return {
    name: 'experiments',
    exportSubject: (subjectId: string) => experiments.exportSubject(subjectId),
    eraseSubject: (executor, subjectId) => experiments.eraseSubject(executor, subjectId),
  } satisfies DataParticipant
}
