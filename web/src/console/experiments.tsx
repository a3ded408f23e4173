/**
 * The experiments panel (issue 21): every experiment with its state and rollout stage; per experiment
 * the confidence sequence over time (the always-valid interval of each difference in rate against the
 * control, at every look of the rollout job, from `GET /v1/experiments/{id}`'s `history`) as a
 * Vega-Lite chart drawn like the other console charts (`../vega-chart.tsx`), and a Stop button; and the
 * form that starts a new one (`./experiments-form.tsx`).
 */
import { useState } from 'preact/hooks'
import type { Notice } from '../api.js'
import { bearer, client, ok } from '../client.js'
import { VegaChart } from '../vega-chart.js'
import { ExperimentForm } from './experiments-form.js'
import { Status, useLoad } from './load.js'
import './reports.css'
import './experiments.css'

const loadList = (token: string) =>
  ok(client.GET('/v1/experiments', { headers: bearer(token) })).then((a) => a.experiments)
type Experiment = Awaited<ReturnType<typeof loadList>>[number]
/** A look of the rollout job, as much of it as the chart reads. */
interface Look {
  at: string
  comparisons: { metric: string; variant: string; difference: number; interval: number[] }[]
}

const STATUS_WORDS: Record<string, string> = {
  running: 'Running',
  stopped: 'Stopped',
  completed: 'Completed',
}

const pct = (share: number) => `${Math.round(share * 1000) / 10}%`

/** The Vega-Lite spec of the confidence sequences: a band per comparison, its estimate, and 0. */
export function sequenceSpec(history: Look[], primary: string): Record<string, unknown> {
  const values = history.flatMap((look) =>
    look.comparisons.map((c) => ({
      at: look.at,
      series: `${c.metric}${c.metric === primary ? ' (primary)' : ''} · ${c.variant}`,
      difference: c.difference,
      low: c.interval[0],
      high: c.interval[1],
    })),
  )
  const x = { field: 'at', type: 'temporal', title: 'Look' }
  const color = { field: 'series', type: 'nominal', title: 'Metric · variant' }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    width: 'container',
    height: 220,
    autosize: { type: 'fit-x', contains: 'padding' },
    data: { values },
    encoding: { x },
    layer: [
      {
        mark: { type: 'area', opacity: 0.25 },
        encoding: {
          y: { field: 'low', type: 'quantitative', title: 'Difference in rate vs control' },
          y2: { field: 'high' },
          color,
        },
      },
      { mark: { type: 'line', point: true }, encoding: { y: { field: 'difference' }, color } },
      {
        data: { values: [{}] },
        mark: { type: 'rule', strokeDash: [4, 4], aria: false },
        encoding: { x: null, y: { datum: 0 } },
      },
    ],
    config: { legend: { orient: 'bottom', direction: 'vertical' } },
  }
}

function Sequence({ token, experiment }: { token: string; experiment: Experiment }) {
  const [detail] = useLoad(`${token} ${experiment.id} ${experiment.updatedAt}`, () =>
    ok(
      client.GET('/v1/experiments/{id}', {
        headers: bearer(token),
        params: { path: { id: experiment.id } },
      }),
    ),
  )
  return (
    <Status loaded={detail}>
      {(d) =>
        d.history.length === 0 ? (
          <p class="muted" data-testid="no-looks">
            No looks yet: the rollout job has not compared the variants.
          </p>
        ) : (
          <VegaChart
            name={`sequence-${experiment.id}`}
            title={`Confidence sequences of ${experiment.name} (${d.history.length} looks; an interval clear of 0 is a difference)`}
            spec={sequenceSpec(d.history, experiment.primaryMetric)}
          />
        )
      }
    </Status>
  )
}

function ExperimentItem(props: {
  token: string
  experiment: Experiment
  mayStop: boolean
  changed: () => void
}) {
  const { experiment: x, token } = props
  const [said, setSaid] = useState<string>()
  const stage = `stage ${x.stage + 1} of ${x.stages.length}, ${pct(x.exposure)} of shoppers`
  return (
    <li data-testid="experiment" data-id={x.id}>
      <h3>
        {x.name} <span class="mono small">{x.id}</span>
      </h3>
      <p data-testid="experiment-state">
        <strong>{STATUS_WORDS[x.status] ?? x.status}</strong>, {stage}. Tests {x.target} on{' '}
        {x.variants.map((v) => v.name).join(' vs ')}; primary metric {x.primaryMetric}
        {x.guardrails.length === 0
          ? ''
          : `; guardrails ${x.guardrails.map((g) => g.metric).join(', ')}`}
        .
      </p>
      <Sequence token={token} experiment={x} />
      {props.mayStop && x.status === 'running' ? (
        <button
          type="button"
          onClick={() =>
            void ok(
              client.POST('/v1/experiments/{id}/stop', {
                headers: bearer(token),
                params: { path: { id: x.id } },
              }),
            )
              .then(() => (setSaid(`Stopped ${x.name}.`), props.changed()))
              .catch((e: unknown) => setSaid(e instanceof Error ? e.message : String(e)))
          }
        >
          Stop {x.name}
        </button>
      ) : null}
      {said === undefined ? null : <p role="status">{said}</p>}
    </li>
  )
}

/** The experiments panel, for keys that may list experiments (admin, analyst); admins also start and stop. */
export function ExperimentsPanel(props: {
  token: string
  notice: Notice | undefined
  may: { create: boolean; stop: boolean }
}) {
  const { token } = props
  const [list, reload] = useLoad(`${token} experiments`, () => loadList(token))
  return (
    <section class="panel" aria-labelledby="experiments-h" data-testid="experiments-panel">
      <h2 id="experiments-h">Experiments</h2>
      <Status loaded={list}>
        {(xs) =>
          xs.length === 0 ? (
            <p class="muted">No experiments yet.</p>
          ) : (
            <ul class="experiments-list" data-testid="experiments-list">
              {xs.map((x) => (
                <ExperimentItem
                  key={x.id}
                  token={token}
                  experiment={x}
                  mayStop={props.may.stop}
                  changed={reload}
                />
              ))}
            </ul>
          )
        }
      </Status>
      {props.may.create ? (
        <>
          <h3>New experiment</h3>
          <ExperimentForm token={token} notice={props.notice} created={reload} />
        </>
      ) : null}
    </section>
  )
}
