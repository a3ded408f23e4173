import type { DataParticipant } from '../../storage/participant.js'
import type { CatalogService } from './catalog.service.js'

/** The catalog's part in retention (the one port, `DataParticipant` in `src/storage/participant.ts`); it holds nothing on a subject. */
export function catalogDataParticipant(catalog: CatalogService) {
  return {
    name: 'catalog',
    deleteExpired: (executor, now) => catalog.deleteExpired(executor, now),
  } satisfies DataParticipant
}
