/** The fairness audit's charts: Vega-Lite specs with their data inline (rendered by the reports). */
import { MIN_GROUP } from './reviews.metrics.js'
import type { ChartSpec, FairnessAudit } from './reviews.js'

/** Vega-Lite specs (inline data): the item-side measures, Recall@20 and the online rates per group. */
export function fairnessCharts(part: FairnessAudit): ChartSpec[] {
  const charts: ChartSpec[] = []
  const rows: { source: string; measure: string; value: number }[] = []
  for (const [source, m] of [
    ['served', part.served],
    ['offline', part.offline],
  ] as const) {
    if (m === null) continue
    rows.push(
      { source, measure: 'coverage', value: m.coverage },
      { source, measure: 'Gini of exposure', value: m.gini },
      { source, measure: 'new-item share', value: m.newItemShare },
      { source, measure: 'small-category share', value: m.smallCategoryShare },
      { source, measure: 'popularity percentile', value: m.popularityRecommended },
    )
  }
  if (rows.length > 0)
    charts.push({
      name: 'fairness-exposure',
      title: 'Exposure of the catalog',
      spec: {
        $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
        description: 'Item-side fairness measures, 0 to 1',
        data: { values: rows },
        mark: 'bar',
        encoding: {
          y: { field: 'measure', type: 'nominal', title: null },
          yOffset: { field: 'source' },
          x: { field: 'value', type: 'quantitative', scale: { domain: [0, 1] }, title: 'share' },
          color: { field: 'source', type: 'nominal', title: 'lists' },
        },
      },
    })
  const recall = part.groups
    .filter((g) => g.recallAt20 !== null)
    .map((g) => ({ dimension: g.dimension, group: g.group, recall: g.recallAt20 }))
  if (recall.length > 0)
    charts.push({
      name: 'fairness-recall-groups',
      title: 'Recall@20 per shopper group',
      spec: {
        $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
        description: `Offline Recall@20 per group; groups under ${MIN_GROUP} shoppers merged or withheld`,
        data: { values: recall },
        mark: 'bar',
        encoding: {
          row: { field: 'dimension', type: 'nominal', title: null },
          y: { field: 'group', type: 'nominal', title: null },
          x: { field: 'recall', type: 'quantitative', title: 'Recall@20' },
        },
        resolve: { scale: { y: 'independent' } },
      },
    })
  const online = onlineRatesChart(part)
  if (online !== null) charts.push(online)
  return charts
}

/** The view, basket and purchase rates of the answers served per shopper group (online rows). */
function onlineRatesChart(part: FairnessAudit): ChartSpec | null {
  const online = part.groups.flatMap((g) =>
    g.measured !== 'online' || g.answers === null
      ? []
      : (
          [
            ['view', g.viewRate],
            ['basket', g.basketRate],
            ['purchase', g.purchaseRate],
          ] as const
        ).map(([action, rate]) => ({ dimension: g.dimension, group: g.group, action, rate })),
  )
  if (online.length === 0) return null
  return {
    name: 'fairness-online-groups',
    title: 'View, basket and purchase rates per shopper group',
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      description: `Share of the answers served that were followed by a view, a basket or a purchase of a suggested item, per group; groups under ${MIN_GROUP} answers merged or withheld`,
      data: { values: online },
      mark: 'bar',
      encoding: {
        row: { field: 'dimension', type: 'nominal', title: null },
        y: { field: 'group', type: 'nominal', title: null },
        yOffset: { field: 'action', sort: ['view', 'basket', 'purchase'] },
        x: { field: 'rate', type: 'quantitative', title: 'share of answers' },
        color: {
          field: 'action',
          type: 'nominal',
          sort: ['view', 'basket', 'purchase'],
          title: 'followed by',
        },
      },
      resolve: { scale: { y: 'independent' } },
    },
  }
}
