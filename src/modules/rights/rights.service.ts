import type { Clock } from '../../lib/clock.js'
import { AppError } from '../../lib/errors.js'
import { newSortableId } from '../../lib/ids.js'
import type { Db } from '../../storage/db.js'
import type { Actor, AuditLog } from '../audit/index.js'
import { type Charter, resolveJurisdiction } from '../charter/index.js'
import type { ConsentService } from '../consent/index.js'
import type { IdentityService, KeyringHolder } from '../identity/index.js'
import {
  type Channel,
  type CreateRightsRequest,
  type Rectification,
  type RightsRequest,
  type RightsStatus,
  type SubjectDataParticipant,
} from './rights.js'
import { dueDate, regimeFor } from './rights.deadlines.js'
import type { JobLease, JobRunner } from '../jobs/index.js'
import type { Notifier } from './rights.notifier.js'
import { type DenyBody, type ExtendBody, createStaffActions } from './rights.staff.js'
import { createCodeVerification } from './rights.verification.js'
import { type StoredRightsRequest, createRightsRepository } from './rights.repository.js'

export interface RightsDeps {
  db: Db
  /** Called after an erasure so that no deleted page survives in the database files. */
  scrub: () => Promise<void>
  clock: Clock
  charter: Charter
  audit: AuditLog
  identity: IdentityService
  consent: ConsentService
  notifier: Notifier
  /** The key file: verification codes are stored under a key derived from it. */
  keys: KeyringHolder
  /** The job table: each request's job runs under its lease there, so one process works on it at a time. */
  jobs: Pick<JobRunner, 'define' | 'runNow'>
  /** Every module holding subject data, identity last (erasing it makes the subject unresolvable). */
  participants: () => readonly SubjectDataParticipant[]
}

/** The job kind of one request's work, keyed by the request's id. */
export const RIGHTS_REQUEST_JOB = 'rights.request'
/** The purposes an objection to profiling withdraws. */
const PROFILING_PREFIXES = ['personalize.recommendations', 'marketing.']

export type RightsService = ReturnType<typeof createRightsService>

/** What a running job carries through its steps. */
interface RunContext {
  lease: JobLease
  onStepDone?: (name: string) => void
}

function publicView(request: StoredRightsRequest, now: Date): RightsRequest & { overdue: boolean } {
  const { sealedInput: _sealed, ...rest } = request
  const open = request.status !== 'completed' && request.status !== 'denied'
  return { ...rest, overdue: open && request.dueAt < now.toISOString() }
}

/**
 * Data-subject rights: requests, their deadlines, identity verification for self-service requests, and
 * one resumable job per request that works through every module's own functions. A job records each
 * finished step in the same transaction as the step's work, so a crash resumes where it stopped and a
 * step is never done twice.
 */
export function createRightsService(deps: RightsDeps) {
  const repo = createRightsRepository()
  const now = () => deps.clock.now()

  const codes = createCodeVerification(deps, repo, (trx, request) =>
    finish(trx, request, 'denied', { deniedReason: 'identity_not_verified' }),
  )

  async function mustFind(id: string): Promise<StoredRightsRequest> {
    const request = await repo.find(deps.db, id)
    if (request === undefined) throw new AppError('not_found', 'No rights request has this id')
    return request
  }

  async function finish(
    executor: Db,
    request: StoredRightsRequest,
    status: Extract<RightsStatus, 'completed' | 'denied'>,
    extra: { result?: Record<string, unknown>; deniedReason?: string },
  ): Promise<void> {
    await repo.update(executor, request.id, {
      status,
      completedAt: now().toISOString(),
      sealedInput: null,
      ...(extra.result === undefined ? {} : { result: extra.result }),
      ...(extra.deniedReason === undefined ? {} : { deniedReason: extra.deniedReason }),
    })
    await deps.audit.record(executor, {
      actor: { kind: 'system', name: 'rights' },
      action: `rights.${request.type}.${status}`,
      subjectId: request.subjectId,
      details: {
        requestId: request.id,
        ...(extra.deniedReason === undefined ? {} : { reason: extra.deniedReason }),
      },
    })
  }

  /**
   * Runs one named step: its work and the record that it is done commit together. A run whose lease
   * was taken by another process (this one stalled past it) stops before its next step.
   */
  async function step(
    request: StoredRightsRequest,
    name: string,
    work: (trx: Db) => Promise<Record<string, number> | void>,
    ctx: RunContext,
  ): Promise<void> {
    if (request.stepsDone.includes(name)) return
    ctx.lease.check()
    await deps.db.transaction().execute(async (trx) => {
      const result = (await work(trx)) ?? {}
      request.stepsDone = [...request.stepsDone, name]
      // The step's counts are kept with the record that it is done, so a resumed job reports them too.
      request.result = { ...(request.result ?? {}), [name.slice(name.indexOf(':') + 1)]: result }
      await repo.update(trx, request.id, { stepsDone: request.stepsDone, result: request.result })
      await deps.audit.record(trx, {
        actor: { kind: 'system', name: 'rights' },
        action: `rights.${request.type}.step`,
        subjectId: request.subjectId,
        details: { requestId: request.id, step: name, ...result },
      })
    })
    ctx.onStepDone?.(name)
  }

  /** Rectification: each participant that holds the corrected data puts it right, step by step. */
  async function rectify(
    request: StoredRightsRequest,
    participants: readonly SubjectDataParticipant[],
    ctx: RunContext,
  ): Promise<void> {
    const input =
      request.sealedInput === null
        ? {}
        : (deps.identity.openTransient(request.subjectId, request.sealedInput) as Rectification)
    for (const participant of participants) {
      const rectifyIn = participant.rectify
      if (rectifyIn === undefined) continue
      await step(
        request,
        `rectify:${participant.name}`,
        (trx) => rectifyIn(trx, request.subjectId, input),
        ctx,
      )
    }
  }

  /**
   * Objection to profiling: every profiling purpose not needed to serve the shopper is withdrawn, and the
   * models forget the subject.
   */
  async function object(
    request: StoredRightsRequest,
    participants: readonly SubjectDataParticipant[],
    ctx: RunContext,
  ): Promise<void> {
    await step(
      request,
      'withdraw_profiling',
      async (trx) => {
        const purposes = Object.keys(deps.charter.purposes).filter(
          (key) =>
            PROFILING_PREFIXES.some((prefix) => key.startsWith(prefix)) &&
            deps.charter.purposes[key]?.legalBasis !== 'contract',
        )
        await deps.consent.recordObjection(trx, request.subjectId, purposes, {
          kind: 'system',
          name: 'rights',
        })
        return { purposesWithdrawn: purposes.length }
      },
      ctx,
    )
    for (const participant of participants) {
      if (participant.forgetInModels === undefined) continue
      await participant.forgetInModels(request.subjectId)
    }
  }

  async function run(request: StoredRightsRequest, ctx: RunContext): Promise<void> {
    const participants = deps.participants()
    switch (request.type) {
      case 'access':
      case 'portability': {
        // The export is compiled when downloaded, so no copy of the data rests anywhere.
        await deps.db.transaction().execute((trx) =>
          finish(trx, request, 'completed', {
            result: { sections: participants.map((p) => p.name) },
          }),
        )
        return
      }
      case 'erasure': {
        for (const participant of participants) {
          await step(
            request,
            `erase:${participant.name}`,
            (trx) => participant.eraseSubject(trx, request.subjectId),
            ctx,
          )
        }
        break
      }
      case 'rectification':
        await rectify(request, participants, ctx)
        break
      case 'restriction': {
        const lift = request.result?.lift === true
        await step(
          request,
          lift ? 'unrestrict' : 'restrict',
          async (trx) => {
            await deps.consent.setRestricted(trx, request.subjectId, !lift, {
              kind: 'system',
              name: 'rights',
            })
          },
          ctx,
        )
        break
      }
      case 'objection':
        await object(request, participants, ctx)
        break
    }
    // Before the request is done: if the log cannot be truncated now, the job fails and runs again later
    // (every step already done is skipped), rather than a completed erasure leaving page images behind.
    if (request.type === 'erasure') await deps.scrub()
    await deps.db
      .transaction()
      .execute((trx) => finish(trx, request, 'completed', { result: request.result ?? {} }))
  }

  /** A request's job, once its lease is held: nothing to do unless it is verified or under way. */
  async function runRequest(id: string, ctx: RunContext): Promise<void> {
    if (!(await repo.start(deps.db, id))) return
    await run(await mustFind(id), ctx)
  }
  // Any process's job runner takes up a request whose job is due (interrupted, or failed earlier).
  deps.jobs.define({ kind: RIGHTS_REQUEST_JOB, run: (id, lease) => runRequest(id, { lease }) })

  const staff = createStaffActions({
    db: deps.db,
    clock: deps.clock,
    audit: deps.audit,
    find: mustFind,
    forgetCode: (executor, id) => repo.deleteVerification(executor, id),
  })

  const service = {
    /**
     * Files a request. Staff (privacy officer, admin) count as verified; anyone else gets a one-time code
     * through the notifier and must quote it to `verify`.
     */
    async create(
      input: CreateRightsRequest,
      channel: Channel,
      actor: Actor,
    ): Promise<RightsRequest & { overdue: boolean }> {
      const at = now()
      const jurisdiction = resolveJurisdiction(deps.charter, input.jurisdiction)
      const regime = regimeFor(jurisdiction)
      if (input.type !== 'rectification' && input.rectification !== undefined) {
        throw new AppError('validation_failed', 'Only a rectification request takes corrections', {
          issues: [{ field: 'body.rectification', reason: 'only allowed with type rectification' }],
        })
      }
      if (input.type === 'rectification' && input.rectification === undefined) {
        throw new AppError('validation_failed', 'A rectification request says what to correct', {
          issues: [{ field: 'body.rectification', reason: 'is required for type rectification' }],
        })
      }
      const subjectId =
        input.type === 'rectification' || input.type === 'restriction' || input.type === 'objection'
          ? await deps.identity.ensureSubjectId(input.subject)
          : await deps.identity.findSubjectId(input.subject)
      const request: StoredRightsRequest = {
        id: newSortableId('rr', at.getTime()),
        type: input.type,
        subjectId: subjectId ?? 'sub_none',
        status: channel === 'staff' ? 'verified' : 'received',
        regime,
        jurisdiction,
        channel,
        receivedAt: at.toISOString(),
        dueAt: dueDate(regime, at).toISOString(),
        extensionReason: null,
        verifiedAt: channel === 'staff' ? at.toISOString() : null,
        completedAt: null,
        deniedReason: null,
        stepsDone: [],
        result: input.type === 'restriction' ? { lift: input.lift === true } : null,
        sealedInput:
          input.rectification === undefined || subjectId === undefined
            ? null
            : deps.identity.sealTransient(subjectId, input.rectification),
      }
      await deps.db.transaction().execute(async (trx) => {
        await repo.insert(trx, request)
        await deps.audit.record(trx, {
          actor,
          action: `rights.${request.type}.received`,
          subjectId: subjectId ?? null,
          details: { requestId: request.id, channel, regime },
        })
        if (subjectId === undefined) {
          // Nothing is held on this reference: the honest answer is immediate.
          await finish(trx, request, 'completed', { result: { dataHeld: false } })
          request.status = 'completed'
          request.completedAt = now().toISOString()
          request.result = { dataHeld: false }
        } else if (channel === 'self_service') {
          await codes.sendFirst(trx, request)
        }
      })
      return publicView(request, at)
    },

    verify: (id: string, code: string, actor: Actor) =>
      codes.verify(id, code, actor).then((request) => publicView(request, now())),
    resendCode: (id: string) => codes.resend(id),
    codeState: (id: string) => codes.state(id),

    /** Pushes the deadline out once, within the law's limit (see `rights.staff.ts`). */
    async extend(id: string, body: ExtendBody, actor: Actor) {
      await staff.extend(id, body, actor)
      return publicView(await mustFind(id), now())
    },

    /** Denies a request whose work has not started, with its ground (see `rights.staff.ts`). */
    async deny(id: string, body: DenyBody, actor: Actor) {
      await staff.deny(id, body, actor)
      await deps.notifier.discard([id])
      return publicView(await mustFind(id), now())
    },

    async get(id: string): Promise<RightsRequest & { overdue: boolean }> {
      return publicView(await mustFind(id), now())
    },

    async list(filter: {
      overdue?: boolean
      status?: RightsStatus
      subjectId?: string
      limit?: number
    }) {
      const at = now()
      const rows = await repo.list(deps.db, {
        limit: filter.limit ?? 200,
        ...(filter.overdue === true ? { overdueAt: at.toISOString() } : {}),
        ...(filter.status === undefined ? {} : { status: filter.status }),
        ...(filter.subjectId === undefined ? {} : { subjectId: filter.subjectId }),
      })
      return rows.map((row) => publicView(row, at))
    },

    async countOverdue(): Promise<number> {
      return repo.countOverdue(deps.db, now().toISOString())
    },

    /**
     * Runs (or resumes) a verified request's job now, under its lease in the job table. Returns false
     * when another live process holds it (a dead holder's is taken over). Steps already done are
     * skipped, so calling this again after a crash finishes the work exactly once. A job that throws
     * is recorded in the job table, tried again later by any process, and the error rethrown.
     */
    async process(id: string, options: { onStepDone?: (step: string) => void } = {}) {
      return deps.jobs.runNow(RIGHTS_REQUEST_JOB, id, (lease) =>
        runRequest(id, { lease, ...options }),
      )
    },

    /**
     * Runs every verified or interrupted job that no live process holds; a recurring job calls this
     * (and a restart at once). A job whose lease is held by a provably dead process (this machine's
     * previous run, killed mid-way) is taken over at once rather than when its lease runs out. Expired
     * outbox messages go too.
     */
    async processPending(): Promise<number> {
      await deps.notifier.discardExpired(now())
      let done = 0
      for (const id of await repo.listOpen(deps.db)) {
        if (await service.process(id)) done += 1
      }
      return done
    },

    /**
     * The erasure participant for messages kept by the notifier (the outbox): a subject's undelivered
     * codes, with their address, go with the subject. The export lists them without code or address.
     */
    messages: {
      name: 'outbox',
      exportSubject: async (subjectId: string) => ({
        messages: await deps.notifier.pending(await repo.idsOfSubject(deps.db, subjectId)),
      }),
      eraseSubject: async (executor: Db, subjectId: string) => ({
        messages: await deps.notifier.discard(await repo.idsOfSubject(executor, subjectId)),
      }),
    } satisfies SubjectDataParticipant,

    /**
     * Everything held on the subject of a completed access or portability request, compiled now from
     * every module (vault decrypted), and audited as an access.
     */
    async compileExport(id: string, actor: Actor): Promise<Record<string, unknown>> {
      const request = await mustFind(id)
      if (request.type !== 'access' && request.type !== 'portability') {
        throw new AppError('conflict', 'Only access and portability requests have an export')
      }
      if (request.status !== 'completed') {
        throw new AppError(
          'conflict',
          `The request is ${request.status}; the export is ready once it is completed`,
        )
      }
      const sections: Record<string, unknown> = {}
      if (request.result?.dataHeld !== false) {
        for (const participant of deps.participants()) {
          sections[participant.name] = await participant.exportSubject(request.subjectId)
        }
      }
      await deps.audit.recordNow({
        actor,
        action: `rights.${request.type}.exported`,
        subjectId: request.subjectId,
        details: { requestId: id },
      })
      return {
        format: 'candor-subject-export/1',
        requestId: id,
        subjectId: request.subjectId,
        generatedAt: now().toISOString(),
        ...sections,
      }
    },
  }
  return service
}
