import type { DataParticipant } from '../../storage/participant.js'
import type { VoiceService } from './voice.service.js'

/**
 * The voice module's part in data-subject rights and retention (the one port, `DataParticipant` in
 * `src/storage/participant.ts`): a subject's reviews, answers and feedback are in their export and go
 * with their erasure; retention deletes entries past their purpose's retention.
 */
export function voiceDataParticipant(voice: VoiceService) {
  return {
    name: 'voice',
    exportSubject: (subjectId: string) => voice.exportSubject(subjectId),
    eraseSubject: (executor, subjectId) => voice.eraseSubject(executor, subjectId),
    deleteExpired: (executor, now) => voice.deleteExpired(executor, now),
  } satisfies DataParticipant
}
