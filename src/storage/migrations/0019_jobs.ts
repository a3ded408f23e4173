import type { Migration } from 'kysely'
import type { MigrationDb } from './index.js'

/**
 * One table for the background jobs any process may run (see `src/modules/jobs/`): a row per recurring
 * job (`job_key` empty: retention, training, audit checkpoints, the rights sweep) and per one-off job
 * (a rights request, keyed by its id). `due_at` says when it should run next (null: not scheduled);
 * `lease_holder` and `lease_until` say which process runs it now and until when its lease holds (the
 * holder names its machine, boot, process-id namespace, process id and start time, so a restarted
 * process on the same machine reclaims its dead predecessor's leases at once). The rest is for staff:
 * when it last started and finished, how many runs, the failures since the last success and the last
 * error (no personal data: an error's code or class and message).
 *
 * `rights_requests.lease_until` and `.lease_owner` (0005, 0016) are no longer read or written: a rights
 * request's lease is its row here.
 */
export const migration0019Jobs: Migration = {
  async up(db: MigrationDb) {
    await db.schema
      .createTable('jobs')
      .addColumn('kind', 'varchar(60)', (c) => c.notNull())
      .addColumn('job_key', 'varchar(60)', (c) => c.notNull())
      .addColumn('due_at', 'varchar(32)')
      .addColumn('lease_holder', 'text')
      .addColumn('lease_until', 'varchar(32)')
      .addColumn('runs', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('failures', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('last_started_at', 'varchar(32)')
      .addColumn('last_finished_at', 'varchar(32)')
      .addColumn('last_error', 'varchar(500)')
      .addPrimaryKeyConstraint('jobs_pk', ['kind', 'job_key'])
      .execute()
    await db.schema.createIndex('jobs_due_at').on('jobs').column('due_at').execute()
  },
  async down(db: MigrationDb) {
    await db.schema.dropTable('jobs').execute()
  },
}
