/**
 * What mixing reasons (`engine/mix.ts`) costs the ranking on UCI Online Retail: the `personal` level's
 * 20 served items, reordered at several closeness values, measured like `bench:quality` (Recall@20,
 * NDCG@10), and how often a shopper's first six items still carry one reason.
 *
 *     npx tsx bench/reason-mix.ts [--tune]
 */
import { evaluate } from './lib/metrics.js'
import { loadUci } from './lib/data.js'
import { splitAt } from './lib/split.js'
import { historyOf } from '../src/modules/recommend/engine/interactions.js'
import { mixReasons } from '../src/modules/recommend/engine/mix.js'
import { recommendPersonal, scorePersonal } from '../src/modules/recommend/engine/scoring.js'
import { trainShop } from '../src/modules/recommend/engine/tune.js'

const raw = loadUci('../shared/datasets/uci-online-retail/online_retail.csv.gz')
const cutoff = Date.parse('2011-11-01T00:00:00Z')
const split = splitAt(raw, cutoff)
const { model, report } = trainShop(split.train, {
  now: cutoff,
  tune: process.argv.includes('--tune'),
})
console.log(`tuned: ${report.tuned}; personal: ${JSON.stringify(report.params?.personal)}`)
const byScores = evaluate(
  split,
  (t) => scorePersonal(model, historyOf(split.train, t.subject), { now: cutoff }).total,
)
console.log(
  `score vectors: recall20 ${byScores.recall20.toFixed(4)} ndcg10 ${byScores.ndcg10.toFixed(4)}`,
)
// The served items in score order, per test shopper.
const served = new Map(
  split.tests.map((t) => {
    const recs = recommendPersonal(model, historyOf(split.train, t.subject), {
      now: cutoff,
      limit: 20,
    })
    return [t.subject, [...recs].sort((a, b) => b.score - a.score || a.item - b.item)]
  }),
)
const longestRun = (xs: readonly string[]): number => {
  let best = 0
  let run = 0
  xs.forEach((x, k) => {
    run = k > 0 && xs[k - 1] === x ? run + 1 : 1
    best = Math.max(best, run)
  })
  return best
}
for (const closeness of [0, 0.1, 0.25, 0.5]) {
  let oneReason = 0
  const figures = evaluate(split, (t) => {
    const mixed = mixReasons(served.get(t.subject)!, { closeness })
    if (longestRun(mixed.slice(0, 6).map((r) => r.reason)) >= 6) oneReason++
    const scores = new Float64Array(model.nItems)
    mixed.forEach((r, k) => (scores[r.item] = mixed.length - k))
    return scores
  })
  console.log(
    `closeness ${closeness}: recall20 ${figures.recall20.toFixed(4)} ndcg10 ${figures.ndcg10.toFixed(4)}; first six of one reason: ${oneReason} of ${split.tests.length}`,
  )
}
