/**
 * The clean room (issue 19): a partner (a `partner` API key, bound to a charter vendor that lists a
 * clean-room purpose) learns aggregate, differentially private figures about the shoppers it shares
 * with the shop, and nothing else.
 *
 * 1. `upload`: the partner sends its addresses blinded by its own secret, H(x)^a. Candor raises them to
 *    its per-upload scalar b (HKDF of a key-file secret and the upload id, never stored) and keeps
 *    H(x)^(ab) until matching. It answers H(y)^b for every subject who granted the vendor's clean-room
 *    purpose and has an e-mail address in the vault, shuffled and padded with random elements; which
 *    subject sits at which position stays on the server.
 * 2. `match`: the partner sends H(y)^(ba) in the order received. Candor keeps only which of its own
 *    subjects matched (`cleanroom_matches`) and deletes the blinded values and the position map. The
 *    answer does not say how many matched: the overlap's size is itself a DP query.
 * 3. `query`: overlap size, purchases by category, conversion after a campaign date, through the
 *    insights service restricted to the upload's matches (re-checking consent at query time), the
 *    partner's own budget and the charter's minimum group size.
 *
 * Nothing a partner sent, nothing blinded and no subject id is ever in an answer, an error, a log line
 * or an audit entry (those hold counts only). Vault reads are not logged.
 */
import type { Clock } from '../../lib/clock.js'
import { AppError } from '../../lib/errors.js'
import { newId } from '../../lib/ids.js'
import type { Db } from '../../storage/db.js'
import type { Actor, AuditLog } from '../audit/index.js'
import { type Charter, cleanRoomPurposes } from '../charter/index.js'
import type { ConsentService } from '../consent/index.js'
import type { IdentityService, KeyringHolder } from '../identity/index.js'
import {
  BLINDED_HEX,
  blindAddress,
  mapInSlices,
  parseBlinded,
  randomElement,
  shuffle,
  uploadScalar,
} from './cleanroom.psi.js'
import { type CleanroomUpload, createCleanroomRepository } from './cleanroom.repository.js'
import type { InsightsAnswer, InsightsQuery } from './insights.js'
import type { InsightsService } from './insights.service.js'

/** Values one upload may hold (each costs about a millisecond of the server's time to blind). */
export const MAX_UPLOAD_VALUES = 100_000
/** Candor's list is padded up to a multiple of this, so its length only roughly tells its size. */
const PAD_TO = 100
const DAY_MS = 86_400_000

export const CLEANROOM_QUERIES = ['overlap', 'purchases_by_category', 'conversion'] as const
export type CleanroomQueryName = (typeof CLEANROOM_QUERIES)[number]

export interface CleanroomQuery {
  uploadId: string
  query: CleanroomQueryName
  /** `conversion`: purchases on or after this day (YYYY-MM-DD). */
  campaignDate?: string | undefined
  epsilon: number
  dryRun: boolean
}

/** A partner calling: its key, the vendor it acts for, and who it is in the audit log. */
export interface PartnerCaller {
  keyId: string
  vendor: string
  actor: Actor
}

export interface CleanroomDeps {
  db: Db
  clock: Clock
  charter: Charter
  keys: KeyringHolder
  audit: AuditLog
  consent: Pick<ConsentService, 'subjectsGranted' | 'allowedAmong'>
  identity: Pick<IdentityService, 'readVault'>
  insights: Pick<InsightsService, 'query'>
}

export type CleanroomService = ReturnType<typeof createCleanroomService>

function invalidValue(field: string, index: number): AppError {
  const reason = 'is not a blinded value (64 hex digits encoding a ristretto255 element)'
  return new AppError('validation_failed', `${field}.${index}: ${reason}`, {
    issues: [{ field: `${field}.${index}`, reason }],
  })
}

function matchedAlready(): AppError {
  return new AppError('conflict', 'This upload is matched already; upload again to match again')
}

export function createCleanroomService(deps: CleanroomDeps) {
  const repo = createCleanroomRepository()

  function terms() {
    const cleanRoom = deps.charter.insights?.cleanRoom
    if (cleanRoom === undefined)
      throw new AppError('not_found', 'the charter declares no clean room')
    return cleanRoom
  }

  /** The clean-room purpose the partner's vendor lists (its subjects must have granted it). */
  function purposeOf(vendor: string): string {
    const listed = deps.charter.vendors[vendor]?.purposes ?? []
    const purpose = cleanRoomPurposes(deps.charter).find((p) => listed.includes(p))
    if (purpose === undefined)
      throw new AppError('forbidden', 'This key’s vendor lists no clean-room purpose')
    return purpose
  }

  /** The caller's own upload, or a 404 (another key's upload is not found either). */
  async function ownUpload(caller: PartnerCaller, uploadId: string): Promise<CleanroomUpload> {
    const upload = await repo.findUpload(deps.db, uploadId)
    if (
      upload === undefined ||
      upload.keyId !== caller.keyId ||
      upload.expiresAt <= deps.clock.now().toISOString()
    )
      throw new AppError('not_found', 'No clean-room upload of this key has this id')
    return upload
  }

  /** H(y)^b of every consenting subject with an address, at shuffled positions, padded. */
  async function candorList(purpose: string, scalar: bigint) {
    const entries: { subjectId: string | null; value: string }[] = []
    const subjects = await deps.consent.subjectsGranted(purpose)
    const addressed: { subjectId: string; email: string }[] = []
    for (const subjectId of subjects) {
      const email = (await deps.identity.readVault(subjectId))?.email
      if (email !== undefined) addressed.push({ subjectId, email })
    }
    const blinded = await mapInSlices(addressed, (a) => blindAddress(a.email, scalar))
    addressed.forEach((a, i) => entries.push({ subjectId: a.subjectId, value: blinded[i]! }))
    const padded = Math.max(PAD_TO, Math.ceil(entries.length / PAD_TO) * PAD_TO)
    while (entries.length < padded) entries.push({ subjectId: null, value: randomElement() })
    return shuffle(entries)
  }

  return {
    /** Step 1: store the partner's values blinded by both sides, answer Candor's side blinded once. */
    async upload(caller: PartnerCaller, blinded: readonly string[]) {
      const { retentionDays } = terms()
      const purpose = purposeOf(caller.vendor)
      const points = await mapInSlices(blinded, (hex, i) => {
        const point = parseBlinded(hex)
        if (point === undefined) throw invalidValue('body.blinded', i)
        return point
      })
      const id = newId('cru', 20)
      const secretKey = deps.keys.current().pseudonym.active
      const scalar = uploadScalar(secretKey.secret, id)
      const doubly = new Set(await mapInSlices(points, (point) => point.multiply(scalar).toHex()))
      const list = await candorList(purpose, scalar)
      const now = deps.clock.now()
      const upload: CleanroomUpload = {
        id,
        keyId: caller.keyId,
        vendor: caller.vendor,
        purpose,
        secretKeyId: secretKey.id,
        state: 'awaiting_matches',
        partnerCount: doubly.size,
        candorCount: list.length,
        createdAt: now.toISOString(),
        matchedAt: null,
        expiresAt: new Date(now.getTime() + retentionDays * DAY_MS).toISOString(),
      }
      const pending = list.flatMap((entry, position) =>
        entry.subjectId === null ? [] : [{ subjectId: entry.subjectId, position }],
      )
      await deps.db.transaction().execute(async (trx) => {
        await repo.insertUpload(trx, upload, [...doubly], pending)
        await deps.audit.record(trx, {
          actor: caller.actor,
          action: 'cleanroom.upload',
          details: {
            keyId: caller.keyId,
            vendor: caller.vendor,
            uploadId: id,
            partnerValues: doubly.size,
            candorValues: list.length,
          },
        })
      })
      return {
        uploadId: id,
        expiresAt: upload.expiresAt,
        candorBlinded: list.map((entry) => entry.value),
      }
    },

    /** Step 2: intersect, keep only which subjects matched, forget the blinded values. */
    async match(caller: PartnerCaller, uploadId: string, reblinded: readonly string[]) {
      const upload = await ownUpload(caller, uploadId)
      if (upload.state !== 'awaiting_matches') throw matchedAlready()
      if (reblinded.length !== upload.candorCount) {
        const reason = `must hold exactly the ${upload.candorCount} values of candorBlinded, reblinded, in the order received`
        throw new AppError('validation_failed', `body.reblinded: ${reason}`, {
          issues: [{ field: 'body.reblinded', reason }],
        })
      }
      // Compared as text: a value that is no group element simply matches nothing.
      const normalized = reblinded.map((hex, i) => {
        if (!BLINDED_HEX.test(hex)) throw invalidValue('body.reblinded', i)
        return hex.toLowerCase()
      })
      await deps.db.transaction().execute(async (trx) => {
        if (!(await repo.claimMatch(trx, uploadId, deps.clock.now().toISOString())))
          throw matchedAlready()
        const partner = await repo.listPartnerValues(trx, uploadId)
        const pending = await repo.listPending(trx, uploadId)
        const matched = new Set<string>()
        normalized.forEach((value, position) => {
          const subjectId = pending.get(position)
          if (subjectId !== undefined && partner.has(value)) matched.add(subjectId)
        })
        await repo.completeMatch(trx, uploadId, [...matched])
        await deps.audit.record(trx, {
          actor: caller.actor,
          action: 'cleanroom.match',
          details: { keyId: caller.keyId, uploadId, reblindedValues: normalized.length },
        })
      })
      return { uploadId, state: 'matched' as const }
    },

    /** Step 3: one of the partner's aggregate queries over the overlap, through the DP engine. */
    async query(caller: PartnerCaller, input: CleanroomQuery): Promise<InsightsAnswer> {
      const { minGroupSize } = terms()
      const upload = await ownUpload(caller, input.uploadId)
      if (upload.state !== 'matched')
        throw new AppError('conflict', 'This upload has no matches yet: send them first')
      const query = partnerQuery(input)
      return deps.insights.query(query, {
        actor: caller.actor,
        keyId: caller.keyId,
        budget: 'partner',
        minGroupSize,
        action: 'cleanroom.query',
        population: {
          uploadId: upload.id,
          ...(input.query === 'overlap' ? { source: 'matches' as const } : {}),
          // Only subjects who still grant the purpose count, whatever they said at matching.
          keep: (owners) => deps.consent.allowedAmong(owners, upload.purpose),
        },
      })
    },

    /** Rights: the partner overlaps the subject is in (never the partner's data: Candor has none). */
    exportSubject: async (subjectId: string) => ({
      matches: await repo.listSubjectMatches(deps.db, subjectId),
    }),

    /** Rights: removes the subject from every overlap and every upload waiting for its matches. */
    eraseSubject: (executor: Db, subjectId: string) => repo.eraseSubject(executor, subjectId),

    /** Retention: deletes uploads (and their matches) past the charter's retentionDays. */
    deleteExpired: (executor: Db, now: Date) => {
      // A charter that no longer declares a clean room keeps no upload at all.
      const days = deps.charter.insights?.cleanRoom?.retentionDays ?? 0
      const createdBefore = new Date(now.getTime() - days * DAY_MS).toISOString()
      return repo.deleteExpired(executor, now.toISOString(), createdBefore)
    },
  }
}

/**
 * The insights query each partner query is. The overlap and conversion count each shopper once in one
 * cell, so their contribution is one row in one group (sensitivity 1, the least noise).
 */
function partnerQuery(input: CleanroomQuery): InsightsQuery {
  const once = { contribution: { maxRowsPerGroup: 1, maxGroupsPerSubject: 1 } }
  const base = {
    epsilon: input.epsilon,
    mechanism: 'gaussian' as const,
    limit: 1000,
    dryRun: input.dryRun,
  }
  switch (input.query) {
    case 'overlap':
      return { ...base, ...once, measure: 'subjects', groupBy: [], filters: {} }
    case 'purchases_by_category':
      return { ...base, measure: 'events', groupBy: ['category'], filters: { types: ['purchase'] } }
    case 'conversion':
      if (input.campaignDate === undefined) {
        const reason = 'is required for the conversion query'
        throw new AppError('validation_failed', `body.campaignDate: ${reason}`, {
          issues: [{ field: 'body.campaignDate', reason }],
        })
      }
      return {
        ...base,
        ...once,
        measure: 'subjects',
        groupBy: [],
        filters: { types: ['purchase'], from: input.campaignDate },
      }
  }
}
