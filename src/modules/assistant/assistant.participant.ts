import type { DataParticipant } from '../../storage/participant.js'
import type { AssistantService } from './assistant.service.js'

/**
 * The assistant's part in data-subject rights and retention (the one port, `DataParticipant` in
 * `src/storage/participant.ts`): a subject's kept conversations are in their export and go with their
 * erasure; retention deletes turns past the purpose's retention.
 */
export function assistantDataParticipant(assistant: AssistantService) {
  return {
    name: 'assistant',
    exportSubject: (subjectId: string) => assistant.transcripts.exportSubject(subjectId),
    eraseSubject: (executor, subjectId) => assistant.transcripts.eraseSubject(executor, subjectId),
    deleteExpired: (executor, now) => assistant.transcripts.deleteExpired(executor, now),
  } satisfies DataParticipant
}
