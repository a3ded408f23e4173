import { DAY_MS } from '../../src/lib/clock.js'
import { newSortableId } from '../../src/lib/ids.js'
import {
  DEFAULT_ENGINE_PARAMS,
  type LevelFigures,
  type TuningReport,
} from '../../src/modules/recommend/engine/index.js'
import {
  type TrainingRun,
  createRecommendRepository,
} from '../../src/modules/recommend/recommend.repository.js'
import type { TestContext } from './test-context.js'

const level = (recall20: number, ndcg10: number, newRecall20: number): LevelFigures => ({
  recall20,
  ndcg10,
  newRecall20,
})

/**
 * A tuning report as a tuned training run stores it: held out the 14 days before `now`, with
 * `personal` Recall@20 `recall20` (the other figures follow from it, so runs differ).
 */
export function tunedReport(now: Date, recall20: number): TuningReport {
  return {
    tuned: true,
    validation: {
      from: now.getTime() - 14 * DAY_MS,
      until: now.getTime(),
      shoppers: 120,
      trainEvents: 4_321,
    },
    candidates: 24,
    figures: {
      personal: level(recall20, recall20 - 0.02, 0.131),
      session: level(recall20 / 2, recall20 / 2 - 0.01, 0.092),
      off: level(0.104, 0.088, 0.054),
      topPop: level(0.097, 0.087, 0.051),
      repeatFreq: level(0.335, 0.343, 0.051),
    },
    params: {
      ...DEFAULT_ENGINE_PARAMS,
      personal: { ...DEFAULT_ENGINE_PARAMS.personal, otherWeight: 0.5 },
    },
  }
}

/**
 * Stores a training run with the given `quality` at the clock's time, through the repository (as
 * `train()` would store it), without training: for runs whose report a test must choose.
 */
export async function insertTrainingRun(
  ctx: TestContext,
  quality: TuningReport | Record<string, never>,
): Promise<TrainingRun> {
  const now = ctx.clock.now()
  const run: TrainingRun = {
    id: newSortableId('tr', now.getTime()),
    trainedAt: now.toISOString(),
    subjects: 150,
    items: 300,
    events: 5_000,
    seconds: 1.25,
    // `TrainingRun` types `quality` loosely (runs before the report stored `{}`).
    quality: quality as unknown as TrainingRun['quality'],
  }
  await createRecommendRepository(ctx.storage.changes).insertTrainingRun(ctx.storage.db, run)
  return run
}
