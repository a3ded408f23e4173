import type { DataParticipant } from '../../storage/participant.js'
import type { RecommendService } from './recommend.service.js'

/**
 * The recommend module's part in data-subject rights and retention (the one port, `DataParticipant` in `src/storage/participant.ts`):
 * its answers, feedback and caps counters, the subject's contribution to trained models, and the
 * rectification rule that a corrected history takes the subject out of the models until the next
 * training.
 */
export function recommendDataParticipant(recommend: RecommendService) {
  return {
    name: 'recommend',
    exportSubject: (subjectId: string) => recommend.exportSubject(subjectId),
    eraseSubject: (executor, subjectId) => recommend.eraseSubject(executor, subjectId),
    forgetInModels: (subjectId) => recommend.forgetInModels(subjectId),
    rectify: async (executor, subjectId, input) => {
      if (input.removeInferences !== true && (input.notMyEvents ?? []).length === 0) return {}
      // What the model learned from the subject may rest on wrong data: out until the next training,
      // which reads the corrected history.
      await recommend.forgetInModels(subjectId, executor)
      return { modelContributions: 1 }
    },
    deleteExpired: (executor, now) => recommend.deleteExpired(executor, now),
  } satisfies DataParticipant<{
    removeInferences?: boolean | undefined
    notMyEvents?: readonly string[] | undefined
  }>
}
