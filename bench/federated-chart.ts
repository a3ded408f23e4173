/**
 * The README's privacy/quality chart of federated learning (issue 22): new-item Recall@20 of the
 * neighbours learned only from locally differentially private reports, at each epsilon a day, for
 * UCI's customers and for 100 times as many browsers like them, against the central model and the
 * model with no neighbours, from one `bench:quality -- --federated --json` run. Drawn from a
 * Vega-Lite spec with the same server-side renderer as the audit charts.
 *
 *   npm run -s bench:quality -- --federated --json > quality.json
 *   tsx bench/federated-chart.ts quality.json    # writes docs/federated-tradeoff.svg and .vl.json
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { renderChartSvg } from '../src/modules/reviews/index.js'
import type { Row } from './lib/quality-rows.js'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')

function rowsOf(file: string): Row[] {
  const line = readFileSync(file, 'utf8')
    .split('\n')
    .find((l) => l.includes('"benchmark":"quality"'))
  if (line === undefined) throw new Error(`no bench:quality JSON line in ${file}`)
  return (JSON.parse(line) as { rows: Row[] }).rows
}

/** The spec: one line per population over epsilon, and a rule per reference model. */
export function tradeoffSpec(rows: readonly Row[]): Record<string, unknown> {
  const points = rows.flatMap((r) => {
    const m = /^candor-federated eps(\d+)( x(\d+) clients)?$/.exec(r.model)
    if (m === null) return []
    const clients =
      m[3] === undefined ? 'UCI customers (4,300 browsers)' : `${m[3]} times as many browsers`
    return [{ epsilon: Number(m[1]), newRecall20: r.newRecall20, clients }]
  })
  const rule = (model: string, label: string) => {
    const r = rows.find((x) => x.model === model)
    return r === undefined ? [] : [{ label, newRecall20: r.newRecall20 }]
  }
  const references = [
    ...rule('candor-personal', 'central model (consented histories)'),
    ...rule('candor-federated no neighbours', 'no neighbours (popularity and own history)'),
  ]
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: 420,
    height: 240,
    layer: [
      {
        data: { values: references },
        mark: { type: 'rule', strokeDash: [4, 3] },
        encoding: {
          y: { field: 'newRecall20', type: 'quantitative' },
          color: { field: 'label', type: 'nominal', title: 'reference' },
        },
      },
      {
        data: { values: points },
        mark: { type: 'line', point: true },
        encoding: {
          x: {
            field: 'epsilon',
            type: 'quantitative',
            title: 'epsilon per browser per day',
            scale: { domain: [0, 9] },
          },
          y: { field: 'newRecall20', type: 'quantitative', title: 'new-item Recall@20' },
          strokeDash: { field: 'clients', type: 'nominal', title: 'browsers contributing' },
        },
      },
    ],
  }
}

async function main(): Promise<void> {
  const file = process.argv[2]
  if (file === undefined) throw new Error('usage: tsx bench/federated-chart.ts QUALITY_JSON')
  const spec = tradeoffSpec(rowsOf(file))
  const title = 'Federated neighbours: new-item Recall@20 against epsilon per day (UCI)'
  writeFileSync(
    resolve(root, 'docs/federated-tradeoff.vl.json'),
    JSON.stringify(spec, null, 2) + '\n',
  )
  writeFileSync(
    resolve(root, 'docs/federated-tradeoff.svg'),
    await renderChartSvg({ name: 'federated-tradeoff', title, spec }),
  )
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
