import type { Db } from '../../storage/db.js'
import type { Aspect } from './voice.analysis.js'
import { createVoiceRepository } from './voice.repository.js'

/**
 * Who sent feedback about one aspect, for other modules' measurements: the experiments module counts
 * the privacy aspect (feedback calling personalization "creepy") per variant as a guardrail. Returns
 * owner ids (a subject id or a visit's session key) and times only, never text.
 */
export function createVoiceAspectReader(db: Db) {
  const repo = createVoiceRepository()
  return {
    /** Owners of entries created since `since` tagged with `aspect`, with each entry's time. */
    ownersWithAspect: (aspect: Aspect, since: string) => repo.listAspectOwners(db, aspect, since),
  }
}
