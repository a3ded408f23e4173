import type { DataParticipant } from '../../storage/participant.js'
import type { FederatedService } from './federated.service.js'

/**
 * The federated module's part in retention (the one port, `DataParticipant` in
 * `src/storage/participant.ts`): its daily sketch totals past the federated purpose's retention. No
 * export or erasure part: no row names or belongs to a shopper (anonymous, locally differentially
 * private reports summed per day), so there is nothing of one to find.
 */
export function federatedDataParticipant(federated: FederatedService) {
  return {
    name: 'federated',
    deleteExpired: (executor, now) => federated.deleteExpired(executor, now),
  } satisfies DataParticipant
}
