import type { Migration } from 'kysely'
import type { MigrationDb } from './index.js'

/**
 * `rights_requests.lease_owner`: which process holds a job's lease (machine, boot, process id and start
 * time, see `rights.lease.ts`), so that a restarted process resumes a job whose holder is provably dead
 * at once instead of waiting for the lease to run out.
 */
export const migration0016RightsLeaseOwner: Migration = {
  async up(db: MigrationDb) {
    await db.schema.alterTable('rights_requests').addColumn('lease_owner', 'text').execute()
  },
  async down(db: MigrationDb) {
    await db.schema.alterTable('rights_requests').dropColumn('lease_owner').execute()
  },
}
