import type { Migration } from 'kysely'
import type { MigrationDb } from './index.js'

/**
 * The audit log as a Merkle tree (RFC 6962): `audit_tree` keeps every perfect subtree's hash (level 0:
 * one leaf per entry, index = seq - 1), so roots and proofs for any size need O(log n) reads;
 * `audit_checkpoints` keeps the signed checkpoints (tree size, root, time, the signed note). Entries
 * written before this migration become leaves when the audit log first catches its tree up (the
 * checkpoint job at start, the next audit write, or `candor audit verify`).
 */
export const migration0012AuditMerkle: Migration = {
  async up(db: MigrationDb) {
    await db.schema
      .createTable('audit_tree')
      .addColumn('level', 'integer', (c) => c.notNull())
      .addColumn('idx', 'integer', (c) => c.notNull())
      .addColumn('hash', 'varchar(64)', (c) => c.notNull())
      .addPrimaryKeyConstraint('audit_tree_pk', ['level', 'idx'])
      .execute()
    await db.schema
      .createTable('audit_checkpoints')
      .addColumn('tree_size', 'integer', (c) => c.primaryKey())
      .addColumn('root_hash', 'varchar(64)', (c) => c.notNull())
      .addColumn('signed_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('note', 'text', (c) => c.notNull())
      .execute()
  },
  async down(db: MigrationDb) {
    await db.schema.dropTable('audit_checkpoints').execute()
    await db.schema.dropTable('audit_tree').execute()
  },
}
