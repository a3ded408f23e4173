import type { Db } from '../../storage/db.js'

type StaffTables = {
  rights_requests: {
    id: string
    status: string
    due_at: string
    extension_reason: string | null
    completed_at: string | null
    denied_reason: string | null
    sealed_input: string | null
    result: string | null
  }
}

/**
 * The two staff decisions on a request, each one conditional update: the rule it checks holds at the
 * moment of writing, so two officers acting at once (or a job claiming the request) cannot both win.
 */
export function createStaffRepository() {
  const t = (db: Db) => db.withTables<StaffTables>()
  return {
    /** Moves the deadline once: only while the request is open, not extended and not yet due. */
    async extendOnce(
      db: Db,
      id: string,
      change: { dueAt: string; reason: string; now: string },
    ): Promise<boolean> {
      const result = await t(db)
        .updateTable('rights_requests')
        .set({ due_at: change.dueAt, extension_reason: change.reason })
        .where('id', '=', id)
        .where('extension_reason', 'is', null)
        .where('status', 'not in', ['completed', 'denied'])
        .where('due_at', '>=', change.now)
        .executeTakeFirst()
      return Number(result.numUpdatedRows) > 0
    },

    /** Denies a request whose work has not started (received or verified); false otherwise. */
    async denyWaiting(
      db: Db,
      id: string,
      change: { reason: string; result: Record<string, unknown>; now: string },
    ): Promise<boolean> {
      const result = await t(db)
        .updateTable('rights_requests')
        .set({
          status: 'denied',
          denied_reason: change.reason,
          completed_at: change.now,
          result: JSON.stringify(change.result),
          sealed_input: null,
        })
        .where('id', '=', id)
        .where('status', 'in', ['received', 'verified'])
        .executeTakeFirst()
      return Number(result.numUpdatedRows) > 0
    },
  }
}
