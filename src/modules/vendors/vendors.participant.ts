import type { DataParticipant } from '../../storage/participant.js'
import type { VendorsService } from './vendors.service.js'

/**
 * The vendors module's part in rights and retention (the one port, `DataParticipant`):
 * - export: which vendors received what and when, under which pseudonym, and the deletion requests;
 * - erasure: every vendor that received the subject's data gets a deletion request (GDPR Art. 19),
 *   filed in the erasure step's transaction, then the delivery log and anything still queued go;
 * - objection (`forgetInModels`, called when an objection to profiling has withdrawn those purposes):
 *   every vendor that received data under a purpose now withdrawn gets a deletion request;
 * - retention: a visit's delivery log goes with its events.
 */
export function vendorsDataParticipant(vendors: VendorsService) {
  return {
    name: 'vendors',
    exportSubject: (subjectId: string) => vendors.exportSubject(subjectId),
    async eraseSubject(executor, subjectId) {
      const deletionRequests = await vendors.requestDeletions(executor, subjectId, 'erasure')
      const vendorDeliveries = await vendors.eraseDeliveries(executor, subjectId)
      return { deletionRequests, vendorDeliveries }
    },
    async forgetInModels(subjectId: string) {
      await vendors.requestDeletionsNow(subjectId, 'objection')
    },
    deleteExpired: (executor, now) => vendors.deleteExpired(executor, now),
  } satisfies DataParticipant
}
