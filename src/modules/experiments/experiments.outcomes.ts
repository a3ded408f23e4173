import type { Db } from '../../storage/db.js'
import type { Metric } from './experiments.js'
import type { ExperimentsRepository } from './experiments.repository.js'

/**
 * Outcomes from real events (issue 21): what enrolled shoppers did with the answers a variant shaped,
 * and the "creepy" feedback they sent. The sources are other modules' (composed in
 * `src/main/compose.ts`); this file only maps them onto enrolments. Every mark is "counted once per
 * shopper", so reading the same window twice counts nothing twice.
 */
export interface OutcomeSources {
  /** Actions on answers cited since `since`, by online quality's attribution rule (recommend). */
  attributedSince(since: string): Promise<readonly { recommId: string; action: Action }[]>
  /** Owners of feedback tagged with the privacy aspect since `since`, and when (voice). */
  creepySince(since: string): Promise<readonly { owner: string; createdAt: string }[]>
}

type Action = 'view' | 'cart' | 'purchase' | 'not_interested'

/** The experiment metric of each action on an answer. */
export const METRIC_OF_ACTION: Readonly<Record<Action, Metric>> = {
  view: 'view',
  cart: 'basket',
  purchase: 'purchase',
  not_interested: 'not_this',
}

/**
 * Marks the outcomes found since `since`: an action counts for the shopper and experiment whose
 * variant shaped the cited answer (`experiment_exposures`); a privacy-tagged feedback counts in each
 * experiment the shopper was enrolled in when they sent it. Returns how many marks were new.
 */
export async function attributeOutcomes(
  db: Db,
  repo: ExperimentsRepository,
  sources: OutcomeSources,
  since: string,
): Promise<{ actions: number; creepy: number }> {
  const actions = await sources.attributedSince(since)
  const exposures = await repo.findExposures(db, [...new Set(actions.map((a) => a.recommId))])
  const byAnswer = new Map(exposures.map((e) => [e.recommId, e]))
  let marked = 0
  for (const a of actions) {
    const exposure = byAnswer.get(a.recommId)
    if (exposure === undefined) continue
    marked += await repo.markOutcome(db, exposure.owner, METRIC_OF_ACTION[a.action], {
      experimentId: exposure.experimentId,
    })
  }
  let creepy = 0
  for (const entry of await sources.creepySince(since)) {
    creepy += await repo.markOutcome(db, entry.owner, 'creepy', { at: entry.createdAt })
  }
  return { actions: marked, creepy }
}
