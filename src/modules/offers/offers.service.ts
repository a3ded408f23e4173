/**
 * The offers service: staff define offers (checked against the charter and the catalog), and a
 * storefront is answered the best eligible offer at the level the shopper's consent allows, within the
 * touchpoint's frequency cap (the recommend module's counters), explained like a recommendation.
 */
import { DAY_MS, type Clock } from '../../lib/clock.js'
import { AppError } from '../../lib/errors.js'
import { newSortableId } from '../../lib/ids.js'
import type { Db } from '../../storage/db.js'
import type { Actor, AuditLog } from '../audit/index.js'
import type { CatalogService, Item } from '../catalog/index.js'
import type { Charter } from '../charter/index.js'
import type { ConsentService, RequestSignals } from '../consent/index.js'
import type { EventsService } from '../events/index.js'
import type { IdentityService } from '../identity/index.js'
import type { CapReached, RecommendService } from '../recommend/index.js'
import type { SessionService } from '../session/index.js'
import {
  type FactItem,
  type ShopperFacts,
  type Verdict,
  best,
  isRunning,
  judge,
  sentenceOf,
} from './offers.eligibility.js'
import type { DataLevel, Offer, OfferInput, OfferQuery } from './offers.js'
import { createOfferRepository } from './offers.repository.js'
import { type OfferTotals, createOfferTotalsRepository, foldTotals } from './offers.totals.js'

export interface OffersDeps {
  db: Db
  clock: Clock
  charter: Charter
  audit: AuditLog
  catalog: Pick<CatalogService, 'getItems' | 'listSpecialCategoryItems'>
  consent: ConsentService
  identity: Pick<IdentityService, 'findSubjectId'>
  session: Pick<SessionService, 'keyOf'>
  events: Pick<EventsService, 'listSubjectItemEvents'>
  recommend: Pick<RecommendService, 'takeCap' | 'hiddenFor' | 'countNotThis'>
  /**
   * The experiments module (optional): the variant of a running experiment over offers a shopper is
   * in (its `offer` setting names the offer shown instead of the best one, when eligible), and the
   * exposure of the answer it shaped.
   */
  variants?: OfferVariants
}

/** What offers ask of the experiments module (a port: composed in `src/main/compose.ts`). */
export interface OfferVariants {
  variantFor(
    subjectId: string,
    signals: RequestSignals,
    target: 'offer',
  ): Promise<
    | { experiment: string; index: number; settings: Record<string, string | number | boolean> }
    | undefined
  >
  recordExposure(exposure: {
    recommId: string
    subjectId: string
    experiment: string
    variant: number
    at: string
  }): Promise<void>
}

export type OffersService = ReturnType<typeof createOffersService>

/** The chosen offer as the service gives it; the routes add its links. */
export interface OfferChoice {
  readonly answerId: string
  readonly touchpoint: string
  readonly dataUsed: DataLevel
  readonly dataReason: string
  readonly subject: string | undefined
  readonly session: string | undefined
  readonly jurisdiction: string
  /** The notice version a withdrawal ("stop") names. */
  readonly noticeVersion: string
  readonly verdict: Verdict | undefined
  readonly cap: CapReached | undefined
}

/** Whom an offer is chosen for: a shopper (subject id, if known), a visit, or nobody. */
interface Who {
  subjectId: string | undefined
  sessionKey: string | undefined
  subject: boolean
}

interface Issue {
  field: string
  reason: string
}

const DATA_REASONS: Record<DataLevel, string> = {
  none: 'nothing about you is used: you have not allowed this purpose, or chose suggestions that use nothing about you',
  session: 'only what is in your basket during this visit is used',
  personal: 'what you bought or looked at is used, as you allowed',
}

/** The problems of an offer against the charter (purpose, touchpoints, schedule). */
function charterIssues(charter: Charter, input: OfferInput): Issue[] {
  const issues: Issue[] = []
  const purpose = Object.hasOwn(charter.purposes, input.purpose)
    ? charter.purposes[input.purpose]
    : undefined
  if (purpose === undefined)
    issues.push({ field: 'body.purpose', reason: 'the charter declares no such purpose' })
  else if (purpose.specialCategory !== undefined)
    issues.push({
      field: 'body.purpose',
      reason: 'an offer may not rest on a purpose that unlocks a special category',
    })
  input.touchpoints.forEach((key, i) => {
    const touchpoint = Object.hasOwn(charter.touchpoints, key)
      ? charter.touchpoints[key]
      : undefined
    if (touchpoint === undefined)
      issues.push({
        field: `body.touchpoints.${i}`,
        reason: 'the charter declares no such touchpoint',
      })
    else if (purpose !== undefined && !touchpoint.purposes.includes(input.purpose))
      issues.push({
        field: 'body.purpose',
        reason: `touchpoint "${key}" does not serve this purpose (it serves ${touchpoint.purposes.join(', ')})`,
      })
  })
  const { from, until } = input.schedule
  if (from !== undefined && until !== undefined && Date.parse(until) <= Date.parse(from))
    issues.push({ field: 'body.schedule.until', reason: 'must be later than from' })
  const jurisdictions = new Set(Object.keys(charter.jurisdictions ?? {}))
  input.eligibility.jurisdictions?.forEach((j, i) => {
    if (jurisdictions.size > 0 && !jurisdictions.has(j) && j !== 'default')
      issues.push({
        field: `body.eligibility.jurisdictions.${i}`,
        reason: 'the charter declares no such jurisdiction',
      })
  })
  return issues
}

/** The problems of an offer's conditions against the catalog: no special-category item or category. */
async function catalogIssues(deps: OffersDeps, input: OfferInput): Promise<Issue[]> {
  const issues: Issue[] = []
  const special = await deps.catalog.listSpecialCategoryItems()
  if (special.length === 0) return issues
  const specialIds = new Set(special.map((s) => s.id))
  input.eligibility.cartContains?.forEach((id, i) => {
    if (specialIds.has(id))
      issues.push({
        field: `body.eligibility.cartContains.${i}`,
        reason: 'a special-category item never selects shoppers',
      })
  })
  const paths = input.eligibility.categoryAffinity
  if (paths !== undefined) {
    const specialItems = await deps.catalog.getItems([...specialIds])
    paths.forEach((path, i) => {
      const parts = path.split('/')
      if (specialItems.some((item) => parts.every((p, k) => item.category[k] === p)))
        issues.push({
          field: `body.eligibility.categoryAffinity.${i}`,
          reason: 'special-category items are under this category: it never selects shoppers',
        })
    })
  }
  return issues
}

/** Items as facts, special-category ones left out. */
function factsOf(ids: readonly string[], catalog: ReadonlyMap<string, Item>): FactItem[] {
  const out: FactItem[] = []
  for (const id of new Set(ids)) {
    const item = catalog.get(id)
    if (item === undefined || item.specialCategory !== undefined) continue
    out.push({ id, title: item.title, category: item.category })
  }
  return out
}

export function createOffersService(deps: OffersDeps) {
  const repo = createOfferRepository()
  const totals = createOfferTotalsRepository()

  /** Adds to an offer's totals for today (UTC): counts only, nobody named. */
  const count = (offer: string, touchpoint: string, what: { shown: number; clicked: number }) =>
    totals.add(deps.db, {
      offer,
      touchpoint,
      day: deps.clock.now().toISOString().slice(0, 10),
      ...what,
    })

  /** What consent allows `purpose` to read about the shopper: nothing, this visit, or their history. */
  async function allowedFor(
    purpose: string,
    who: Who,
    signals: RequestSignals,
  ): Promise<{ allowed: DataLevel; granted: boolean; jurisdiction: string }> {
    if (who.subject) {
      const settings = await deps.consent.getSettings(who.subjectId, signals)
      const decision = await deps.consent.decide(who.subjectId, purpose, signals)
      const allowed: DataLevel = !decision.allowed
        ? 'none'
        : settings.effectiveLevel === 'personal'
          ? 'personal'
          : settings.effectiveLevel === 'session'
            ? 'session'
            : 'none'
      return { allowed, granted: decision.allowed, jurisdiction: settings.jurisdiction }
    }
    const jurisdiction = signals.jurisdiction ?? 'default'
    if (who.sessionKey === undefined) return { allowed: 'none', granted: false, jurisdiction }
    // An anonymous visit decides only session-scoped purposes; any other is not allowed for it.
    const scoped = deps.charter.purposes[purpose]?.retentionDays === 0
    if (!scoped) return { allowed: 'none', granted: false, jurisdiction }
    const decision = await deps.consent.sessions.decide(who.sessionKey, purpose, signals)
    return {
      allowed: decision.allowed ? 'session' : 'none',
      granted: decision.allowed,
      jurisdiction,
    }
  }

  /** The facts eligibility reads for one purpose, read only as far as consent allows. */
  async function factsFor(
    purpose: string,
    who: Who,
    cartIds: readonly string[],
    signals: RequestSignals,
  ): Promise<ShopperFacts> {
    const { allowed, granted, jurisdiction } = await allowedFor(purpose, who, signals)
    const none = { allowed, granted, jurisdiction, cart: [], history: [], bought: false }
    if (allowed === 'none') return none
    const events =
      allowed === 'personal' && who.subjectId !== undefined
        ? await deps.events.listSubjectItemEvents(who.subjectId, purpose)
        : []
    const itemIds = [...cartIds, ...events.flatMap((e) => (e.item === undefined ? [] : [e.item]))]
    const catalog = new Map(
      (await deps.catalog.getItems([...new Set(itemIds)])).map((i) => [i.id, i]),
    )
    return {
      allowed,
      granted,
      jurisdiction,
      cart: factsOf(cartIds, catalog),
      history: factsOf(
        events.flatMap((e) => (e.item === undefined ? [] : [e.item])),
        catalog,
      ),
      bought: events.some((e) => e.type === 'purchase'),
    }
  }

  /**
   * The best eligible offer at a touchpoint for a shopper, a visit or nobody, and the facts it was
   * judged on; showing it counts against the touchpoint's cap (none then, `cap` says why).
   */
  async function pick(
    touchpoint: string,
    who: Who,
    cartIds: readonly string[],
    signals: RequestSignals,
    now: Date,
    preferred?: string,
  ): Promise<{ verdict: Verdict | undefined; chosen: ShopperFacts | undefined; cap?: CapReached }> {
    const owner = who.subjectId ?? who.sessionKey
    const running = (await repo.listScheduled(deps.db, now.toISOString())).filter((o) =>
      isRunning(o, touchpoint, now),
    )
    const hidden = await deps.recommend.hiddenFor(owner)
    const facts = new Map<string, ShopperFacts>()
    const verdicts: Verdict[] = []
    for (const offer of running) {
      if (hidden.has(`offer:${offer.id}`)) continue
      let f = facts.get(offer.purpose)
      if (f === undefined)
        facts.set(offer.purpose, (f = await factsFor(offer.purpose, who, cartIds, signals)))
      const verdict = judge(offer, f)
      if (verdict !== undefined) verdicts.push(verdict)
    }
    // An experiment's variant names the offer to show, when it is eligible here; else the best one.
    const verdict = verdicts.find((v) => v.offer.id === preferred) ?? best(verdicts)
    const chosen = verdict === undefined ? undefined : facts.get(verdict.offer.purpose)
    // Counted per shopper only where the offer's purpose is allowed for them (a counter is data on
    // them, kept for that purpose); the offer for everyone shown to others is counted for nobody.
    if (verdict !== undefined && owner !== undefined && chosen?.granted === true) {
      const cap = await deps.recommend.takeCap(owner, touchpoint)
      if (cap !== undefined) return { verdict: undefined, chosen, cap }
    }
    return { verdict, chosen }
  }

  return {
    /**
     * Defines (or replaces) an offer. Refused with every problem named by field: a purpose the charter
     * does not declare or a touchpoint does not serve, an undeclared touchpoint, a schedule that ends
     * before it starts, conditions naming special-category items. Nothing is written then.
     */
    async define(input: OfferInput, actor: Actor): Promise<Offer> {
      const issues = [...charterIssues(deps.charter, input), ...(await catalogIssues(deps, input))]
      if (issues.length > 0)
        throw new AppError('validation_failed', `${issues[0]!.field}: ${issues[0]!.reason}`, {
          issues,
        })
      const now = deps.clock.now().toISOString()
      const schedule = {
        ...(input.schedule.from === undefined
          ? {}
          : { from: new Date(input.schedule.from).toISOString() }),
        ...(input.schedule.until === undefined
          ? {}
          : { until: new Date(input.schedule.until).toISOString() }),
      }
      return deps.db.transaction().execute(async (trx) => {
        const saved = await repo.upsert(trx, {
          ...input,
          schedule,
          createdAt: now,
          updatedAt: now,
        })
        await deps.audit.record(trx, {
          actor,
          action: 'offers.defined',
          subjectId: null,
          details: { id: input.id, purpose: input.purpose },
        })
        return saved
      })
    },

    /** Every offer, for staff. */
    list: (): Promise<Offer[]> => repo.list(deps.db),

    /**
     * Each offer's totals over the last `days` UTC days (today included): shown (answers and e-mails
     * prepared) and clicked (its link followed) from `offer_totals`, and "not this" from the feedback
     * kept now. Counts only; every offer defined is listed, with zeros where nothing was counted.
     */
    async totals(days: number): Promise<{ from: string; offers: OfferTotals[] }> {
      const from = new Date(deps.clock.now().getTime() - (days - 1) * DAY_MS)
        .toISOString()
        .slice(0, 10)
      const [offers, rows, notThis] = await Promise.all([
        repo.list(deps.db),
        totals.list(deps.db, from),
        deps.recommend.countNotThis('offer:', `${from}T00:00:00.000Z`),
      ])
      const said = notThis.map((n) => ({
        offer: n.item.slice('offer:'.length),
        day: n.day,
        count: n.count,
      }))
      return {
        from,
        offers: foldTotals(
          offers.map((o) => o.id),
          rows,
          said,
        ),
      }
    },

    /**
     * Why an offer is shown to a shopper, for their privacy center (the answer's `links.why`): judged
     * now as an answer would judge it, at the level their consent allows, but nothing is counted (no
     * cap, no totals). 404 for an unknown offer.
     */
    async explain(offerId: string, ref: string, signals: RequestSignals) {
      const offer = await repo.find(deps.db, offerId)
      if (offer === undefined) throw new AppError('not_found', 'No offer has this id')
      const who = { subjectId: await deps.identity.findSubjectId(ref), sessionKey: undefined }
      const facts = await factsFor(offer.purpose, { ...who, subject: true }, [], signals)
      const verdict = judge(offer, facts)
      const used = verdict === undefined ? 'none' : facts.allowed
      return {
        offer: { id: offer.id, title: offer.content.title, purpose: offer.purpose },
        eligible: verdict !== undefined,
        sentence:
          verdict === undefined
            ? 'This offer is not one Candor would show you now.'
            : sentenceOf(verdict, facts.jurisdiction),
        evidence: verdict === undefined ? [] : [...verdict.evidence],
        dataUsed: used,
        dataReason: DATA_REASONS[used],
      }
    },

    /**
     * Counts a click on an offer's link at a touchpoint and answers where the link goes (the offer's
     * own `content.link`, never a URL from the request). 404 when the offer or its link is unknown; 400
     * when the touchpoint is not one the offer is shown at.
     */
    async open(offerId: string, touchpoint: string): Promise<string> {
      const offer = await repo.find(deps.db, offerId)
      const link = offer?.content.link
      if (offer === undefined || link === undefined)
        throw new AppError('not_found', 'No offer with a link has this id')
      if (!offer.touchpoints.includes(touchpoint))
        throw new AppError('validation_failed', 'touchpoint: the offer is not shown there', {
          issues: [{ field: 'querystring.touchpoint', reason: 'the offer is not shown there' }],
        })
      await count(offer.id, touchpoint, { shown: 0, clicked: 1 })
      return link
    },

    /**
     * The offer a touchpoint would show this subject now (e-mail: `offers.mail.ts`), at the level their
     * consent allows, counted against the cap; `granted` says the offer's purpose is allowed for them.
     */
    async pickForSubject(subjectId: string, touchpoint: string) {
      const who = { subjectId, sessionKey: undefined, subject: true }
      const { verdict, chosen, cap } = await pick(touchpoint, who, [], {}, deps.clock.now())
      const granted = chosen?.granted === true
      // Only an offer the e-mail will carry is counted as shown (no grant: no e-mail).
      if (verdict !== undefined && granted)
        await count(verdict.offer.id, touchpoint, { shown: 1, clicked: 0 })
      return { verdict, granted, cap }
    },

    /**
     * The best eligible offer for a shopper (subject), an anonymous visit (session) or nobody at a
     * touchpoint: each offer's conditions read only what consent allows for its purpose, offers the
     * shopper said "not this" to are left out, and showing one counts against the touchpoint's cap.
     */
    async choose(
      query: OfferQuery & { touchpoint: string },
      signals: RequestSignals,
    ): Promise<OfferChoice> {
      const { touchpoint } = query
      if (!Object.hasOwn(deps.charter.touchpoints, touchpoint))
        throw new AppError(
          'validation_failed',
          'touchpoint: the charter declares no such touchpoint',
          {
            issues: [
              {
                field: 'querystring.touchpoint',
                reason: 'the charter declares no such touchpoint',
              },
            ],
          },
        )
      const now = deps.clock.now()
      const subjectId =
        query.subject === undefined ? undefined : await deps.identity.findSubjectId(query.subject)
      const sessionKey = query.session === undefined ? undefined : deps.session.keyOf(query.session)
      const who = { subjectId, sessionKey, subject: query.subject !== undefined }
      const cartIds = (query.cart ?? '').split(',').filter((x) => x !== '')
      const variant =
        subjectId === undefined
          ? undefined
          : await deps.variants?.variantFor(subjectId, signals, 'offer')
      const preferred = variant?.settings.offer
      const { verdict, chosen, cap } = await pick(
        touchpoint,
        who,
        cartIds,
        signals,
        now,
        typeof preferred === 'string' ? preferred : undefined,
      )
      const answerId = newSortableId('ofa', now.getTime())
      // The answer the variant shaped (the control's included), so that outcomes citing it count.
      if (variant !== undefined && subjectId !== undefined && verdict !== undefined)
        await deps.variants!.recordExposure({
          recommId: answerId,
          subjectId,
          experiment: variant.experiment,
          variant: variant.index,
          at: now.toISOString(),
        })
      if (verdict !== undefined) await count(verdict.offer.id, touchpoint, { shown: 1, clicked: 0 })
      const used = chosen?.allowed ?? 'none'
      const jurisdiction = chosen?.jurisdiction ?? signals.jurisdiction ?? 'default'
      return {
        answerId,
        touchpoint,
        dataUsed: verdict === undefined ? 'none' : used,
        dataReason: DATA_REASONS[verdict === undefined ? 'none' : used],
        subject: query.subject,
        session: query.session,
        jurisdiction,
        noticeVersion: deps.consent.noticeVersion,
        verdict,
        cap,
      }
    },
  }
}
