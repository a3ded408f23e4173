/** Retention: the job that deletes expired records in every module, with one audit entry per run. */
export {
  createRetentionService,
  type RetentionParticipant,
  type RetentionReport,
  type RetentionService,
} from './retention.service.js'
