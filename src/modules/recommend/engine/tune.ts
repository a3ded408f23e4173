/**
 * Self-tuning per shop. Nothing about a shop is hard-wired: training holds out the shop's own most
 * recent period (by default the last 10% of the training events' time span, at least 7 days),
 * chooses the engine's parameters by a small, bounded search that ranks the held-out period best,
 * then trains on every event with what it chose. The search never reads anything after `now`, and
 * the held-out period is the end of the training data, never a later test period.
 *
 * The search, in three stages (coordinate descent over small grids, so its cost is bounded), each a
 * function below that `trainShop` runs in order:
 * 1. What ranks items a shopper has not had (`searchNeighbours`): the neighbour model (decay, degree
 *    exponents, k, how much recent history items weigh) and the popularity prior mixed into it, by
 *    new-item Recall@20. TopPop is a point of this space (neighbour weight 0), so new-item quality
 *    is at least TopPop's. The held-out split and the metrics are in `holdout.ts`.
 * 2. The personal blend (`searchBlend`, then `pickPersonal`): the repeat score's decay, unit and
 *    exponents and its weight against stage 1's score, by Recall@20 (NDCG@10 breaks ties). TopPop
 *    and RepeatFreq are candidates too, so the chosen `personal` level is at least as good as both
 *    on the held-out period.
 * 3. The session level (`searchSession`): recency decay and the weight of the `off` answer in it,
 *    by Recall@20; the `off` answer itself is a candidate, so `session` is at least as good as `off`.
 * With too little to validate (fewer than `MIN_VALIDATION_SHOPPERS` shoppers in the held-out
 * period), the documented defaults (`params.ts`) are used and the report says so.
 *
 * The grids and the descent are in `tune.grid.ts`, the search context that evaluates candidates in
 * `tune.search.ts`, and the per-shopper work it reuses in `tune.cases.ts`.
 */
import type { FederatedPairs } from './federated.js'
import {
  better,
  clearlyBetter,
  holdOut,
  offAnswer,
  offFigures,
  sessionFigures,
  type Holdout,
  type HoldoutOptions,
  type LevelFigures,
} from './holdout.js'
import type { Interactions } from './interactions.js'
import { trainItemModel, withScoring, type ItemModel } from './item-model.js'
import {
  DEFAULT_ENGINE_PARAMS,
  type EngineParams,
  type ItemModelParams,
  type PersonalParams,
  type SessionParams,
} from './params.js'
import {
  Descent,
  EASE_MAX_ITEMS,
  EASE_MIN_ITEMS,
  GRID,
  plannedCandidates,
  TAIL_WEIGHT,
  type PriorParams,
  type Stage1,
} from './tune.grid.js'
import { Search } from './tune.search.js'

export { MIN_VALIDATION_SHOPPERS, type LevelFigures } from './holdout.js'
export { EASE_MAX_ITEMS } from './tune.grid.js'

export interface TuneOptions extends HoldoutOptions {
  /** false: no search, train with `params` (or the defaults). Default true. */
  readonly tune?: boolean
  /** Starting point of the search, or the parameters used when not tuning. */
  readonly params?: EngineParams
  /** Called as candidates are evaluated. */
  readonly onProgress?: (done: number, total: number) => void
  /** Federated pair counts for the final model (not for tuning: they carry no held-out period). */
  readonly federated?: FederatedPairs
}

export interface TuningReport {
  /** Whether parameters were chosen on a held-out period (false: the defaults, see `note`). */
  readonly tuned: boolean
  readonly note?: string
  /** The held-out period (ms) and how much it held. */
  readonly validation?: {
    readonly from: number
    readonly until: number
    readonly shoppers: number
    readonly trainEvents: number
  }
  /** Parameter sets evaluated. */
  readonly candidates: number
  /** Figures on the held-out period: each level as chosen, and the trivial answers. */
  readonly figures?: {
    readonly personal: LevelFigures
    readonly session: LevelFigures
    readonly off: LevelFigures
    readonly topPop: LevelFigures
    readonly repeatFreq: LevelFigures
  }
  readonly params: EngineParams
}

export interface TrainedShop {
  readonly model: ItemModel
  readonly report: TuningReport
}

/** TopPop as a point of the personal space: the all-time popularity prior alone. */
export const TOP_POP: Partial<PersonalParams> = Object.freeze({
  repeatWeight: 0,
  otherWeight: 1,
  neighbourWeight: 0,
  popularityWeight: 1,
  popularityRecent: 0,
})

/** RepeatFreq as a point of the personal space: the shopper's own event counts, no decay. */
export const REPEAT_FREQ: Partial<PersonalParams> = Object.freeze({
  repeatTauDays: 0,
  repeatUnit: 'event',
  repeatPropensityExponent: 0,
  recentShareExponent: 0,
  repeatWeight: 1,
  otherWeight: 0,
})

/**
 * Tunes on the shop's own most recent period, then trains on all of `interactions` with the chosen
 * parameters. Deterministic for the same input.
 *
 * @example
 * const { model, report } = trainShop(interactions, { now: Date.now(), excluded })
 */
export function trainShop(interactions: Interactions, options: TuneOptions): TrainedShop {
  const start = options.params ?? DEFAULT_ENGINE_PARAMS
  const excluded = options.excluded
  const finalModel = (params: EngineParams): ItemModel =>
    trainItemModel(interactions, {
      now: options.now,
      params: params.item,
      scoring: { personal: params.personal, session: params.session },
      ...(excluded === undefined ? {} : { excluded }),
      ...(options.federated === undefined ? {} : { federated: options.federated }),
    })
  if (options.tune === false)
    return untuned(finalModel(start), 'tuning turned off: the given parameters', start)
  const h = holdOut(interactions, options)
  if (typeof h === 'string')
    return untuned(finalModel(start), `${h}; the documented defaults are used`, start)
  const search = new Search(
    h,
    interactions.nItems,
    excluded,
    plannedCandidates(),
    options.onProgress,
  )
  const stage1 = searchNeighbours(search, start)
  const personal = pickPersonal(search, searchBlend(search, start, stage1))
  const session = searchSession(search, personal.item, personal.pick.params, start.session)
  search.finish()
  const params = chosenParams(personal, session.params)
  return {
    model: finalModel(params),
    report: tunedReport(h, search.candidates, personal, session, params),
  }
}

/** The model trained with `params` as given, and a report that says why nothing was tuned. */
function untuned(model: ItemModel, note: string, params: EngineParams): TrainedShop {
  return { model, report: { tuned: false, note, candidates: 0, params } }
}

/** Stage 1's choices so far (the search keeps all three: each is a starting point of stage 2). */
interface Stage1Choices {
  /** The best by new-item Recall@20. */
  current: Stage1
  /** The best that uses neighbours (neighbourWeight above 0). */
  currentNb: Stage1
  /** The best configuration with EASE in it, whether or not it ranks new items best. */
  bestEase: Stage1 | undefined
  /** The starting configuration with its best prior. */
  readonly startBest: Stage1
  /** The starting configuration and prior as they are. */
  readonly startAsIs: Stage1
}

const usesNeighbours = (f: Stage1): boolean => f.prior.neighbourWeight > 0

/** Takes the better of `found` into the choices. */
function keepBest(c: Stage1Choices, found: Stage1[]): void {
  for (const f of found) {
    if (f.newRecall > c.current.newRecall) c.current = f
    if (usesNeighbours(f) && f.newRecall > c.currentNb.newRecall) c.currentNb = f
    const ease = usesNeighbours(f) && f.prior.easeWeight > 0
    if (ease && (c.bestEase === undefined || f.newRecall > c.bestEase.newRecall)) c.bestEase = f
  }
}

/**
 * Stage 1: the neighbour model and the prior, by new-item Recall@20. The priors are searched for the
 * starting configuration, the neighbour parameters one at a time under the best prior so far
 * (coordinate descent), then the source decay and EASE, then the priors again for the best
 * configuration.
 */
function searchNeighbours(search: Search, start: EngineParams): Stage1Choices {
  const startPrior: PriorParams = {
    neighbourWeight: start.personal.neighbourWeight,
    popularityWeight: start.personal.popularityWeight,
    popularityRecent: start.personal.popularityRecent,
    sourceTauDays: start.personal.sourceTauDays,
    easeWeight: start.personal.easeWeight,
  }
  const startFound = search.priors(start.item, startPrior, start.personal)
  const startBest = startFound[0]!
  // The descent compares neighbour configurations under the best prior that uses neighbours: under
  // TopPop (neighbourWeight 0) they would all score the same. TopPop stays a candidate throughout.
  const c: Stage1Choices = {
    current: startBest,
    currentNb: startFound.find(usesNeighbours)!,
    bestEase: undefined,
    startBest,
    startAsIs: { item: start.item, prior: startPrior, newRecall: 0 },
  }
  const descend = <P extends keyof ItemModelParams>(
    key: P,
    values: readonly ItemModelParams[P][],
  ): void => {
    const from = c.currentNb
    for (const v of values)
      if (v !== from.item[key])
        keepBest(
          c,
          search.priors({ ...from.item, [key]: v }, from.prior, start.personal, from.prior),
        )
  }
  descend('tauDays', GRID.tauDays)
  descend('subjectExponent', GRID.subjectExponent)
  descend('alpha', GRID.alpha)
  descend('beta', GRID.beta)
  descend('neighbours', GRID.neighbours)
  const from = c.currentNb
  for (const sourceTauDays of GRID.sourceTauDays)
    if (sourceTauDays !== from.prior.sourceTauDays) {
      const prior = { ...from.prior, sourceTauDays }
      keepBest(c, search.priors(from.item, prior, start.personal, prior))
    }
  keepBest(c, search.priors(c.currentNb.item, c.currentNb.prior, start.personal))
  // EASE last, under the prior just chosen: tried under an earlier prior, it was judged with a
  // popularity mix the configuration without it no longer uses.
  tryEase(search, c, start.personal)
  return c
}

/** EASE on the most held items, as a share of the neighbour score, for the best configuration. */
function tryEase(search: Search, c: Stage1Choices, start: PersonalParams): void {
  const from = c.currentNb
  let held = 0
  for (const n of search.modelFor(from.item).itemSubjects) if (n > 0) held++
  const easeItems = Math.min(EASE_MAX_ITEMS, held)
  for (const easeLambda of GRID.easeLambda)
    for (const easeWeight of GRID.easeWeight) {
      if (easeItems < EASE_MIN_ITEMS) {
        search.step()
        continue
      }
      const prior = { ...from.prior, easeWeight }
      keepBest(c, search.priors({ ...from.item, easeItems, easeLambda }, prior, start, prior))
    }
}

/** A personal blend with the neighbour configuration it was chosen for. */
interface Blended {
  readonly item: ItemModelParams
  readonly params: PersonalParams
  readonly figures: LevelFigures
}

/**
 * Stage 2: the blend searched for stage 1's choice, for the starting configuration with its best
 * prior and as it is, and for the best one with EASE (what ranks new items best is not always what
 * ranks everything best); the best by Recall@20, then NDCG@10.
 */
function searchBlend(search: Search, start: EngineParams, c: Stage1Choices): Blended {
  const sameChoice = (a: Stage1, b: Stage1): boolean =>
    JSON.stringify([a.item, a.prior]) === JSON.stringify([b.item, b.prior])
  const configs: Stage1[] = []
  for (const k of [
    c.current,
    c.currentNb,
    c.startBest,
    c.startAsIs,
    ...(c.bestEase === undefined ? [] : [c.bestEase]),
  ])
    if (!configs.some((d) => sameChoice(d, k))) configs.push(k)
  let best: (Blended & { recalls: () => Float64Array }) | undefined
  let plain: typeof best
  for (const k of configs) {
    const found = { item: k.item, ...search.blend(k, start.personal) }
    if (best === undefined || better(found.figures, best.figures)) best = found
    if (!usesEase(found) && (plain === undefined || better(found.figures, plain.figures)))
      plain = found
  }
  // EASE is one more component fitted to the held-out period: it stays only where it ranks that
  // period better by more than the period's noise (a small shop's few shoppers do not tell).
  if (usesEase(best!) && plain !== undefined && !clearlyBetter(best!.recalls(), plain.recalls()))
    return plain
  return best!
}

/** Whether a blend scores with the EASE component. */
function usesEase(b: Blended): boolean {
  return b.params.easeWeight > 0 && b.item.easeItems > 0
}

/** The personal level chosen, and the trivial answers' figures (exact, as served). */
interface PersonalPick {
  readonly item: ItemModelParams
  readonly pick: { readonly params: PersonalParams; readonly figures: LevelFigures }
  readonly topPop: LevelFigures
  readonly repeatFreq: LevelFigures
}

/**
 * The final pick: the served scoring, exactly, for the chosen blend and the trivial answers (TopPop,
 * RepeatFreq, and RepeatFreq followed by stage 1's ranking); the best of them wins.
 */
function pickPersonal(search: Search, best: Blended): PersonalPick {
  const item = best.item
  const chosen = { params: best.params, figures: search.personalExact(item, best.params) }
  const topPopParams = { ...chosen.params, ...TOP_POP }
  const topPop = { params: topPopParams, figures: search.personalExact(item, topPopParams) }
  // RepeatFreq with stage 1's ranking after the shopper's own items: never worse on new items.
  const repeatFreqTail = { ...chosen.params, ...REPEAT_FREQ, otherWeight: TAIL_WEIGHT }
  const withTail = { params: repeatFreqTail, figures: search.personalExact(item, repeatFreqTail) }
  const repeatFreqParams = { ...chosen.params, ...REPEAT_FREQ }
  const repeatFreq = {
    params: repeatFreqParams,
    figures: search.personalExact(item, repeatFreqParams),
  }
  let pick = chosen
  for (const c of [withTail, topPop, repeatFreq]) if (better(c.figures, pick.figures)) pick = c
  return { item, pick, topPop: topPop.figures, repeatFreq: repeatFreq.figures }
}

/** Stage 3's choice with its figures, and the `off` answer's. */
interface SessionPick {
  readonly params: SessionParams
  readonly figures: LevelFigures
  readonly off: LevelFigures
}

/** Stage 3: the session level against the `off` answer, by Recall@20 then NDCG@10. */
function searchSession(
  search: Search,
  item: ItemModelParams,
  personal: PersonalParams,
  start: SessionParams,
): SessionPick {
  const { h, excluded } = search
  const scored = withScoring(search.modelFor(item), { personal, session: start })
  const off = offAnswer(scored, h, excluded)
  const offF = offFigures(off, h)
  const sessionOf = (params: SessionParams): LevelFigures => {
    search.candidates++
    search.step()
    return sessionFigures(scored, h, params, off, excluded)
  }
  const sessions = new Descent(start, sessionOf)
  sessions.vary('recencyDecay', GRID.recencyDecay)
  sessions.vary('offWeight', GRID.offWeight)
  sessions.consider({ ...sessions.params, neighbourWeight: 0, offWeight: 1 })
  return { params: sessions.params, figures: sessions.figures, off: offF }
}

/** What the final training uses: an EASE component the chosen scoring does not use is not trained (nor refitted at each erasure). */
function chosenParams(personal: PersonalPick, session: SessionParams): EngineParams {
  const { item: chosenItem, pick } = personal
  const item =
    pick.params.easeWeight > 0
      ? chosenItem
      : { ...chosenItem, easeItems: 0, easeLambda: DEFAULT_ENGINE_PARAMS.item.easeLambda }
  return { item, personal: pick.params, session }
}

/** The report of a tuned run: the held-out period, the candidates, the figures and the parameters. */
function tunedReport(
  h: Holdout,
  candidates: number,
  personal: PersonalPick,
  session: SessionPick,
  params: EngineParams,
): TuningReport {
  return {
    tuned: true,
    validation: {
      from: h.from,
      until: h.until,
      shoppers: h.shoppers.length,
      trainEvents: h.trainEvents,
    },
    candidates,
    figures: {
      personal: personal.pick.figures,
      session: session.figures,
      off: session.off,
      topPop: personal.topPop,
      repeatFreq: personal.repeatFreq,
    },
    params,
  }
}
