import { sql } from 'kysely'
import { type Db, dialectOf, eachRow } from '../../storage/db.js'

/** The vendor tables (migrations 0036, 0040). No copy is made of them: every read goes to the database. */
type VendorTables = {
  vendor_outbox: OutboxRow
  vendor_deliveries: DeliveryRow
  vendor_deletions: DeletionRow
}

/** One owner's share of one ingest batch, waiting to become deliveries (migration 0040). */
export interface OutboxRow {
  owner: string
  id: string
  owner_kind: 'subject' | 'session'
  /** Events per vendor, `vendor=n` comma-separated. */
  vendors: string
  /** JSON array of `OutboxEntry` (vendors.share.ts). */
  events: string
  created_at: string
  expires_at: string
}

const OUTBOX_COLUMNS = [
  'owner',
  'id',
  'owner_kind',
  'vendors',
  'events',
  'created_at',
  'expires_at',
] as const
const OUTBOX_INSERT = `insert into vendor_outbox (${OUTBOX_COLUMNS.join(', ')}) values (${OUTBOX_COLUMNS.map(() => '?').join(', ')})`

export type DeliveryStatus = 'pending' | 'sent' | 'dead' | 'withdrawn'
export type DeletionStatus = 'pending' | 'acknowledged'
export type DeletionReason = 'erasure' | 'objection' | 'withdrawal'

export interface DeliveryRow {
  owner: string
  id: string
  owner_kind: 'subject' | 'session'
  vendor: string
  event_type: string
  /** Comma-separated. */
  purposes: string
  /** Comma-separated names of the fields sent (or to be sent). */
  fields: string
  /** The minimized fields as JSON until sent; null after. */
  data: string | null
  pseudonym: string
  status: DeliveryStatus
  attempts: number
  next_attempt_at: string
  last_error: string | null
  created_at: string
  sent_at: string | null
  expires_at: string
}

export interface DeletionRow {
  owner: string
  id: string
  vendor: string
  reason: DeletionReason
  /** JSON array of the vendor pseudonyms to delete; null once acknowledged. */
  pseudonyms: string | null
  status: DeletionStatus
  attempts: number
  next_attempt_at: string
  last_error: string | null
  created_at: string
  due_at: string
  acknowledged_at: string | null
}

export interface VendorCounts {
  vendor: string
  sent: number
  pending: number
  failed: number
  deadLettered: number
  withdrawn: number
  deletionsPending: number
  deletionsOverdue: number
}

/** Rows per insert statement (PostgreSQL allows 65535 parameters, SQLite 32766; a row has 17). */
const INSERT_CHUNK = 500

export type VendorsRepository = ReturnType<typeof createVendorsRepository>

/** The vendors module's SQL; every function takes the database or a transaction first. */
export function createVendorsRepository() {
  const t = (db: Db) => db.withTables<VendorTables>()
  return {
    /**
     * The outbox rows of one ingest batch, in its transaction: on SQLite one prepared one-row statement
     * run per row (see `eachRow`), on PostgreSQL one multi-row insert.
     */
    async insertOutbox(db: Db, rows: readonly OutboxRow[]): Promise<void> {
      if (rows.length === 0) return
      if (dialectOf(db) === 'sqlite') {
        const values = rows.map((row) => OUTBOX_COLUMNS.map((column) => row[column]))
        await db.executeQuery(eachRow(OUTBOX_INSERT, values))
        return
      }
      for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
        await t(db)
          .insertInto('vendor_outbox')
          .values(rows.slice(i, i + INSERT_CHUNK))
          .execute()
      }
    },

    /**
     * Takes the oldest outbox rows (at most `limit`) out of the outbox and answers them in id order:
     * only the rows this call deleted, so two processes never both take one.
     */
    async takeOutbox(db: Db, limit: number): Promise<OutboxRow[]> {
      const oldest = await t(db)
        .selectFrom('vendor_outbox')
        .select('id')
        .orderBy('id')
        .limit(limit)
        .execute()
      if (oldest.length === 0) return []
      const taken = await t(db)
        .deleteFrom('vendor_outbox')
        .where(
          'id',
          'in',
          oldest.map((r) => r.id),
        )
        .returningAll()
        .execute()
      return taken.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    },

    async listOwnerOutbox(db: Db, owner: string): Promise<OutboxRow[]> {
      return t(db)
        .selectFrom('vendor_outbox')
        .selectAll()
        .where('owner', '=', owner)
        .orderBy('id')
        .execute()
    },

    async insertDeliveries(db: Db, rows: readonly DeliveryRow[]): Promise<void> {
      for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
        await t(db)
          .insertInto('vendor_deliveries')
          .values(rows.slice(i, i + INSERT_CHUNK))
          .execute()
      }
    },

    /** The oldest pending deliveries, due or not (the caller keeps the order per owner). */
    async listPending(db: Db, limit: number): Promise<DeliveryRow[]> {
      return t(db)
        .selectFrom('vendor_deliveries')
        .selectAll()
        .where('status', '=', 'pending')
        .orderBy('id')
        .limit(limit)
        .execute()
    },

    async updateDelivery(
      db: Db,
      key: { owner: string; id: string },
      change: Partial<
        Pick<
          DeliveryRow,
          | 'status'
          | 'attempts'
          | 'next_attempt_at'
          | 'last_error'
          | 'sent_at'
          | 'data'
          | 'purposes'
          | 'fields'
        >
      >,
    ): Promise<void> {
      await t(db)
        .updateTable('vendor_deliveries')
        .set(change)
        .where('owner', '=', key.owner)
        .where('id', '=', key.id)
        .execute()
    },

    async findDelivery(db: Db, vendor: string, id: string): Promise<DeliveryRow | undefined> {
      return t(db)
        .selectFrom('vendor_deliveries')
        .selectAll()
        .where('vendor', '=', vendor)
        .where('id', '=', id)
        .executeTakeFirst()
    },

    async listDeliveries(
      db: Db,
      vendor: string,
      status: DeliveryStatus,
      limit: number,
    ): Promise<DeliveryRow[]> {
      return t(db)
        .selectFrom('vendor_deliveries')
        .selectAll()
        .where('vendor', '=', vendor)
        .where('status', '=', status)
        .orderBy('id', 'desc')
        .limit(limit)
        .execute()
    },

    async listOwnerDeliveries(db: Db, owner: string): Promise<DeliveryRow[]> {
      return t(db)
        .selectFrom('vendor_deliveries')
        .selectAll()
        .where('owner', '=', owner)
        .orderBy('id')
        .execute()
    },

    /** The owner's deliveries and what of theirs is still in the outbox. */
    async deleteOwnerDeliveries(db: Db, owner: string): Promise<number> {
      await t(db).deleteFrom('vendor_outbox').where('owner', '=', owner).execute()
      const result = await t(db)
        .deleteFrom('vendor_deliveries')
        .where('owner', '=', owner)
        .executeTakeFirst()
      return Number(result.numDeletedRows)
    },

    /**
     * A visit's deliveries (and outbox rows) go when its events would have expired; a subject's stay
     * until erasure. Answers the deliveries deleted.
     */
    async deleteExpiredSessionDeliveries(db: Db, now: string): Promise<number> {
      await t(db)
        .deleteFrom('vendor_outbox')
        .where('owner_kind', '=', 'session')
        .where('expires_at', '<', now)
        .execute()
      const result = await t(db)
        .deleteFrom('vendor_deliveries')
        .where('owner_kind', '=', 'session')
        .where('expires_at', '<', now)
        .executeTakeFirst()
      return Number(result.numDeletedRows)
    },

    async insertDeletions(db: Db, rows: readonly DeletionRow[]): Promise<void> {
      if (rows.length > 0)
        await t(db)
          .insertInto('vendor_deletions')
          .values([...rows])
          .execute()
    },

    async listPendingDeletions(db: Db, now: string, limit: number): Promise<DeletionRow[]> {
      return t(db)
        .selectFrom('vendor_deletions')
        .selectAll()
        .where('status', '=', 'pending')
        .where('next_attempt_at', '<=', now)
        .orderBy('id')
        .limit(limit)
        .execute()
    },

    async updateDeletion(
      db: Db,
      key: { owner: string; id: string },
      change: Partial<
        Pick<
          DeletionRow,
          | 'status'
          | 'attempts'
          | 'next_attempt_at'
          | 'last_error'
          | 'acknowledged_at'
          | 'pseudonyms'
        >
      >,
    ): Promise<void> {
      await t(db)
        .updateTable('vendor_deletions')
        .set(change)
        .where('owner', '=', key.owner)
        .where('id', '=', key.id)
        .execute()
    },

    async listOwnerDeletions(db: Db, owner: string): Promise<DeletionRow[]> {
      return t(db)
        .selectFrom('vendor_deletions')
        .selectAll()
        .where('owner', '=', owner)
        .orderBy('id')
        .execute()
    },

    async listOverdueDeletions(db: Db, now: string): Promise<DeletionRow[]> {
      return t(db)
        .selectFrom('vendor_deletions')
        .selectAll()
        .where('status', '=', 'pending')
        .where('due_at', '<', now)
        .orderBy('due_at')
        .execute()
    },

    /** Counts per vendor and state: grouped reads, and the outbox's counts added up. */
    async counts(db: Db, now: string): Promise<Map<string, VendorCounts>> {
      const out = new Map<string, VendorCounts>()
      const of = (vendor: string): VendorCounts => {
        let c = out.get(vendor)
        if (c === undefined) {
          c = {
            vendor,
            sent: 0,
            pending: 0,
            failed: 0,
            deadLettered: 0,
            withdrawn: 0,
            deletionsPending: 0,
            deletionsOverdue: 0,
          }
          out.set(vendor, c)
        }
        return c
      }
      const { rows } = await sql<{
        vendor: string
        status: DeliveryStatus
        failing: number
        n: number | string
      }>`
        select vendor, status, case when attempts > 0 then 1 else 0 end as failing, count(*) as n
        from vendor_deliveries group by vendor, status, case when attempts > 0 then 1 else 0 end`.execute(
        db,
      )
      for (const row of rows) {
        const c = of(row.vendor)
        const n = Number(row.n)
        if (row.status === 'sent') c.sent += n
        else if (row.status === 'dead') c.deadLettered += n
        else if (row.status === 'withdrawn') c.withdrawn += n
        else {
          c.pending += n
          if (Number(row.failing) === 1) c.failed += n
        }
      }
      // What is still in the outbox is pending too (its per-vendor counts, without parsing the events).
      const outbox = await t(db).selectFrom('vendor_outbox').select('vendors').execute()
      for (const row of outbox) {
        for (const part of row.vendors.split(',')) {
          const at = part.lastIndexOf('=')
          if (at > 0) of(part.slice(0, at)).pending += Number(part.slice(at + 1))
        }
      }
      // Two reads rather than one grouped by a parameter (PostgreSQL sees two parameters as two expressions).
      const pending = await t(db)
        .selectFrom('vendor_deletions')
        .select(['vendor', (eb) => eb.fn.countAll<number | string>().as('n')])
        .where('status', '=', 'pending')
        .groupBy('vendor')
        .execute()
      for (const row of pending) of(row.vendor).deletionsPending += Number(row.n)
      const overdue = await t(db)
        .selectFrom('vendor_deletions')
        .select(['vendor', (eb) => eb.fn.countAll<number | string>().as('n')])
        .where('status', '=', 'pending')
        .where('due_at', '<', now)
        .groupBy('vendor')
        .execute()
      for (const row of overdue) of(row.vendor).deletionsOverdue += Number(row.n)
      return out
    },
  }
}
