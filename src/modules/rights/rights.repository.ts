import type { Db } from '../../storage/db.js'
import type { Channel, Regime, RightsRequest, RightsStatus, RightsType } from './rights.js'

type RightsTables = {
  rights_requests: {
    id: string
    type: string
    subject_id: string
    status: string
    regime: string
    jurisdiction: string
    channel: string
    received_at: string
    due_at: string
    extension_reason: string | null
    verified_at: string | null
    completed_at: string | null
    denied_reason: string | null
    sealed_input: string | null
    steps_done: string
    result: string | null
  }
  rights_verifications: {
    request_id: string
    code_hash: string
    expires_at: string
    attempts: number
    resent_at: string
  }
}

type Row = RightsTables['rights_requests']

function toRequest(row: Row): RightsRequest & { sealedInput: string | null } {
  return {
    id: row.id,
    type: row.type as RightsType,
    subjectId: row.subject_id,
    status: row.status as RightsStatus,
    regime: row.regime as Regime,
    jurisdiction: row.jurisdiction,
    channel: row.channel as Channel,
    receivedAt: row.received_at,
    dueAt: row.due_at,
    extensionReason: row.extension_reason,
    verifiedAt: row.verified_at,
    completedAt: row.completed_at,
    deniedReason: row.denied_reason,
    stepsDone: JSON.parse(row.steps_done) as string[],
    result: row.result === null ? null : (JSON.parse(row.result) as Record<string, unknown>),
    sealedInput: row.sealed_input,
  }
}

export type StoredRightsRequest = ReturnType<typeof toRequest>

export function createRightsRepository() {
  const t = (db: Db) => db.withTables<RightsTables>()
  return {
    async insert(db: Db, request: RightsRequest & { sealedInput: string | null }): Promise<void> {
      await t(db)
        .insertInto('rights_requests')
        .values({
          id: request.id,
          type: request.type,
          subject_id: request.subjectId,
          status: request.status,
          regime: request.regime,
          jurisdiction: request.jurisdiction,
          channel: request.channel,
          received_at: request.receivedAt,
          due_at: request.dueAt,
          extension_reason: request.extensionReason,
          verified_at: request.verifiedAt,
          completed_at: request.completedAt,
          denied_reason: request.deniedReason,
          sealed_input: request.sealedInput,
          steps_done: JSON.stringify(request.stepsDone),
          result: request.result === null ? null : JSON.stringify(request.result),
        })
        .execute()
    },
    async find(db: Db, id: string): Promise<StoredRightsRequest | undefined> {
      const row = await t(db)
        .selectFrom('rights_requests')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirst()
      return row === undefined ? undefined : toRequest(row)
    },
    async list(
      db: Db,
      filter: { overdueAt?: string; status?: RightsStatus; subjectId?: string; limit: number },
    ): Promise<StoredRightsRequest[]> {
      let query = t(db).selectFrom('rights_requests').selectAll()
      if (filter.overdueAt !== undefined) {
        query = query
          .where('due_at', '<', filter.overdueAt)
          .where('status', 'not in', ['completed', 'denied'])
      }
      if (filter.status !== undefined) query = query.where('status', '=', filter.status)
      if (filter.subjectId !== undefined) query = query.where('subject_id', '=', filter.subjectId)
      const rows = await query.orderBy('due_at').limit(filter.limit).execute()
      return rows.map(toRequest)
    },
    async countOverdue(db: Db, at: string): Promise<number> {
      const row = await t(db)
        .selectFrom('rights_requests')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('due_at', '<', at)
        .where('status', 'not in', ['completed', 'denied'])
        .executeTakeFirstOrThrow()
      return Number(row.n)
    },
    async update(
      db: Db,
      id: string,
      changes: Partial<{
        status: RightsStatus
        dueAt: string
        extensionReason: string
        verifiedAt: string
        completedAt: string
        deniedReason: string
        sealedInput: string | null
        stepsDone: string[]
        result: Record<string, unknown>
      }>,
    ): Promise<void> {
      await t(db)
        .updateTable('rights_requests')
        .set({
          ...(changes.status === undefined ? {} : { status: changes.status }),
          ...(changes.dueAt === undefined ? {} : { due_at: changes.dueAt }),
          ...(changes.extensionReason === undefined
            ? {}
            : { extension_reason: changes.extensionReason }),
          ...(changes.verifiedAt === undefined ? {} : { verified_at: changes.verifiedAt }),
          ...(changes.completedAt === undefined ? {} : { completed_at: changes.completedAt }),
          ...(changes.deniedReason === undefined ? {} : { denied_reason: changes.deniedReason }),
          ...(changes.sealedInput === undefined ? {} : { sealed_input: changes.sealedInput }),
          ...(changes.stepsDone === undefined
            ? {}
            : { steps_done: JSON.stringify(changes.stepsDone) }),
          ...(changes.result === undefined ? {} : { result: JSON.stringify(changes.result) }),
        })
        .where('id', '=', id)
        .execute()
    },
    /**
     * Marks a verified request as under way (its job holds the lease in the job table); true when it is
     * verified or already under way, false when there is nothing to run (received, completed, denied).
     */
    async start(db: Db, id: string): Promise<boolean> {
      const result = await t(db)
        .updateTable('rights_requests')
        .set({ status: 'in_progress' })
        .where('id', '=', id)
        .where('status', 'in', ['verified', 'in_progress'])
        .executeTakeFirst()
      return Number(result.numUpdatedRows) > 0
    },
    /** Requests verified or under way, the nearest deadline first (at most 100). */
    async listOpen(db: Db): Promise<string[]> {
      const rows = await t(db)
        .selectFrom('rights_requests')
        .select('id')
        .where('status', 'in', ['verified', 'in_progress'])
        .orderBy('due_at')
        .limit(100)
        .execute()
      return rows.map((r) => r.id)
    },
    /** Every request of a subject, by id (their outbox messages go with an erasure). */
    async idsOfSubject(db: Db, subjectId: string): Promise<string[]> {
      const rows = await t(db)
        .selectFrom('rights_requests')
        .select('id')
        .where('subject_id', '=', subjectId)
        .execute()
      return rows.map((r) => r.id)
    },
    /**
     * Stores a request's current code. A resend replaces the code and its expiry but keeps the count of
     * wrong codes (over the request's whole life) and adds its time to `resentAt`.
     */
    async putVerification(
      db: Db,
      requestId: string,
      codeHash: string,
      expiresAt: string,
      resentAt: string[],
    ): Promise<void> {
      await t(db)
        .insertInto('rights_verifications')
        .values({
          request_id: requestId,
          code_hash: codeHash,
          expires_at: expiresAt,
          attempts: 0,
          resent_at: JSON.stringify(resentAt),
        })
        .onConflict((oc) =>
          oc.column('request_id').doUpdateSet({
            code_hash: codeHash,
            expires_at: expiresAt,
            resent_at: JSON.stringify(resentAt),
          }),
        )
        .execute()
    },
    /** Replaces a request's code if its resend list is still `previous`; says whether it did. */
    async replaceCode(
      db: Db,
      requestId: string,
      codeHash: string,
      expiresAt: string,
      previous: string[],
      resentAt: string[],
    ): Promise<boolean> {
      const result = await t(db)
        .updateTable('rights_verifications')
        .set({ code_hash: codeHash, expires_at: expiresAt, resent_at: JSON.stringify(resentAt) })
        .where('request_id', '=', requestId)
        .where('resent_at', '=', JSON.stringify(previous))
        .executeTakeFirst()
      return Number(result.numUpdatedRows) > 0
    },
    async findVerification(db: Db, requestId: string) {
      const row = await t(db)
        .selectFrom('rights_verifications')
        .selectAll()
        .where('request_id', '=', requestId)
        .executeTakeFirst()
      return row === undefined
        ? undefined
        : {
            codeHash: row.code_hash,
            expiresAt: row.expires_at,
            attempts: Number(row.attempts),
            resentAt: JSON.parse(row.resent_at) as string[],
          }
    },
    /**
     * Counts one wrong code, atomically and never past `max`: concurrent guesses cannot slip between a
     * read and a write. Returns the new count, or undefined when the limit was already reached.
     */
    async countAttempt(db: Db, requestId: string, max: number): Promise<number | undefined> {
      const row = await t(db)
        .updateTable('rights_verifications')
        .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
        .where('request_id', '=', requestId)
        .where('attempts', '<', max)
        .returning('attempts')
        .executeTakeFirst()
      return row === undefined ? undefined : Number(row.attempts)
    },
    async deleteVerification(db: Db, requestId: string): Promise<void> {
      await t(db).deleteFrom('rights_verifications').where('request_id', '=', requestId).execute()
    },
  }
}
