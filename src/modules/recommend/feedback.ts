/**
 * Shoppers' feedback on answers: recorded in one transaction with its audit entry, and read back as what
 * it changes in their next answers ("not this" hides an item, "too personal" a kind of reason).
 */
import type { Clock } from '../../lib/clock.js'
import { DAY_MS } from '../../lib/clock.js'
import { AppError } from '../../lib/errors.js'
import { newSortableId } from '../../lib/ids.js'
import type { Db } from '../../storage/db.js'
import type { Actor, AuditLog } from '../audit/index.js'
import type { IdentityService } from '../identity/index.js'
import type { ReasonKind } from './engine/index.js'
import type { Feedback } from './recommend.js'
import type { FeedbackRow, RecommendRepository } from './recommend.repository.js'

const FEEDBACK_RETENTION_DAYS = 365

/** What a shopper's feedback changes in their answers. */
export interface FeedbackView {
  hiddenItems: ReadonlySet<string>
  hiddenReasons: ReasonKind[]
}
const NO_FEEDBACK: FeedbackView = { hiddenItems: new Set(), hiddenReasons: [] }

export interface FeedbackDeps {
  db: Db
  clock: Clock
  audit: AuditLog
  identity: IdentityService
  /** Answers the feedback rows from its copies (`recommend.cache.ts`) outside a transaction. */
  repo: RecommendRepository
}

/** Who the feedback or question is about: a subject id (if the reference is known) or a session key. */
export interface Owner {
  subjectId: string | undefined
  sessionKey: string | undefined
}

export type FeedbackStore = ReturnType<typeof createFeedbackStore>

export function createFeedbackStore(deps: FeedbackDeps) {
  /** The view of each copy of rows, made once per copy (a copy is dropped when the owner's rows change). */
  const views = new WeakMap<readonly FeedbackRow[], FeedbackView>()

  return {
    /** What the owner's feedback changes in their answers (nothing for nobody). */
    async viewOf(owner: string | undefined): Promise<FeedbackView> {
      if (owner === undefined) return NO_FEEDBACK
      const rows = await deps.repo.listFeedback(deps.db, owner)
      let view = views.get(rows)
      if (view === undefined) views.set(rows, (view = feedbackView(rows)))
      return view
    },

    /** Records feedback; "not this" and "too personal" take effect on the very next request. */
    async record(input: Feedback, owner: Owner, actor: Actor): Promise<{ id: string }> {
      const { subjectId, sessionKey } = owner
      const { subject } = input
      if (subject === undefined && sessionKey === undefined)
        throw new AppError('validation_failed', 'Feedback needs a subject or a session')
      const now = deps.clock.now()
      const id = newSortableId('fb', now.getTime())
      await deps.db.transaction().execute(async (trx) => {
        // A new reference becomes a subject only with the feedback written (nothing if it fails).
        const ownerId =
          subject !== undefined
            ? (subjectId ?? (await deps.identity.ensureSubjectId(subject, trx)))
            : sessionKey!
        await deps.repo.insertFeedback(
          trx,
          ownerId,
          {
            id,
            kind: input.kind,
            item: input.item ?? null,
            reasonKind: input.reasonKind ?? null,
            rating: input.rating ?? null,
            recommId: input.recommId ?? null,
            createdAt: now.toISOString(),
          },
          new Date(now.getTime() + FEEDBACK_RETENTION_DAYS * DAY_MS).toISOString(),
        )
        await deps.audit.record(trx, {
          actor,
          action: 'recommend.feedback',
          subjectId: subjectId ?? null,
          details: { kind: input.kind },
        })
      })
      return { id }
    },
  }
}

function feedbackView(rows: readonly FeedbackRow[]): FeedbackView {
  return {
    hiddenItems: new Set(
      rows.filter((r) => r.kind === 'not_interested' && r.item !== null).map((r) => r.item!),
    ),
    hiddenReasons: [
      ...new Set(
        rows
          .filter((r) => r.kind === 'too_personal' && r.reasonKind !== null)
          .map((r) => r.reasonKind as ReasonKind),
      ),
    ],
  }
}
