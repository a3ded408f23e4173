/**
 * The console's "Recommendation quality" section: how the latest training run chose its parameters and
 * how well each level ranked on the shop's held-out period, beside two trivial answers, and a chart of
 * validation Recall@20 over the last training runs.
 *
 * The chart is hand-written SVG rather than a chart library: see "Staff console" in the README.
 */
import { useEffect, useRef, useState } from 'preact/hooks'
import { formatDate } from './api.js'
import { type AnswerOf, bearer, client, ok } from './client.js'

/** The answer of `GET /v1/recommendations/quality`, as the OpenAPI document describes it. */
export type QualityAnswer = AnswerOf<'/v1/recommendations/quality', 'get'>
/** One training run with its tuning report. */
export type TrainingRun = NonNullable<QualityAnswer['run']>
/** A run's `quality`: the engine's tuning report, or `{}` for runs stored before it existed. */
export type TuningReport = TrainingRun['quality']
/** One level's figures on the held-out period (null: nothing to measure it on). */
export type LevelFigures = NonNullable<NonNullable<TuningReport['figures']>['personal']>
type FigureKey = keyof NonNullable<TuningReport['figures']>

/** Loads the section's data through the typed client (an analyst, privacy officer or admin key). */
export function loadTrainingQuality(key: string, days?: number): Promise<QualityAnswer> {
  return ok(
    client.GET('/v1/recommendations/quality', {
      headers: bearer(key),
      params: { query: days === undefined ? {} : { days } },
    }),
  )
}

const ROWS: { key: FigureKey; label: string; trivial?: true }[] = [
  { key: 'personal', label: 'Personal' },
  { key: 'session', label: 'Session' },
  { key: 'off', label: 'Off' },
  { key: 'topPop', label: 'TopPop', trivial: true },
  { key: 'repeatFreq', label: 'RepeatFreq', trivial: true },
]
/** The levels charted over runs, each with its colour and line pattern (told apart without colour). */
const SERIES = [
  { key: 'personal', label: 'Personal', colour: '#1f5f7a', dash: '' },
  { key: 'session', label: 'Session', colour: '#c0392b', dash: '6 4' },
  { key: 'off', label: 'Off', colour: '#6b7280', dash: '2 3' },
] as const

const figure = (value: number | null | undefined) =>
  typeof value === 'number' && Number.isFinite(value) ? value.toFixed(3) : '–'
const count = (n: number) => n.toLocaleString('en-GB')
const dayOf = (ms: number) =>
  new Date(ms).toLocaleDateString('en-GB', { dateStyle: 'medium', timeZone: 'UTC' })

/** Whether a run was tuned, in words; runs stored before the report say so. */
function tuningSentence(report: TuningReport): string {
  if (report.tuned === true) {
    const among = report.candidates === undefined ? '' : ` among ${count(report.candidates)} sets`
    return `Tuned: parameters chosen${among} on the shop's own held-out period.`
  }
  if (report.tuned === false)
    return `Not tuned: ${report.note ?? 'trained with the default parameters'}.`
  return 'Not tuned: this run stored no tuning report (it trained with the default parameters).'
}

function HeldOut({ report }: { report: TuningReport }) {
  const v = report.validation
  if (v?.from === undefined || v.until === undefined) return null
  const days = Math.round((v.until - v.from) / 86_400_000)
  return (
    <p data-testid="held-out">
      Held out: {dayOf(v.from)} to {dayOf(v.until)} ({days} days
      {v.shoppers === undefined ? '' : `, ${count(v.shoppers)} shoppers`}
      {v.trainEvents === undefined
        ? ''
        : `; candidates trained on the ${count(v.trainEvents)} events before it`}
      ).
    </p>
  )
}

function FiguresTable({ figures }: { figures: NonNullable<TuningReport['figures']> }) {
  return (
    <table data-testid="validation-figures" class="numbers">
      <caption>
        Validation figures on the held-out period, beside two trivial answers (TopPop: the most
        popular items for everyone; RepeatFreq: the shopper's own most bought items).
      </caption>
      <thead>
        <tr>
          <th scope="col">Answer</th>
          {/* Break opportunities, so the table fits a phone's width. */}
          <th scope="col">
            Recall
            <wbr />
            @20
          </th>
          <th scope="col">
            NDCG
            <wbr />
            @10
          </th>
          <th scope="col">
            New-item Recall
            <wbr />
            @20
          </th>
        </tr>
      </thead>
      <tbody>
        {ROWS.map(({ key, label, trivial }) => {
          const f = figures[key]
          return (
            <tr key={key} class={trivial === true ? 'trivial' : ''}>
              <th scope="row">
                {label}
                {trivial === true ? <span class="muted small"> (trivial)</span> : null}
              </th>
              <td>{figure(f?.recall20)}</td>
              <td>{figure(f?.ndcg10)}</td>
              <td>{figure(f?.newRecall20)}</td>
            </tr>
          )
        })}
      </tbody>
    </table>
  )
}

function Params({ params }: { params: NonNullable<TuningReport['params']> }) {
  const rows = Object.entries(params).flatMap(([group, values]) =>
    Object.entries(values ?? {}).map(([name, value]) => ({ group, name, value })),
  )
  if (rows.length === 0) return null
  return (
    <details class="params">
      <summary>Parameters chosen ({rows.length})</summary>
      <table>
        <thead>
          <tr>
            <th scope="col">Parameter</th>
            <th scope="col">Value</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(({ group, name, value }) => (
            <tr key={`${group}.${name}`}>
              <th scope="row" class="mono">
                {group}.{name}
              </th>
              <td>{String(value)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  )
}

/** The width the chart has on the page, in CSS pixels, so its text keeps its size on a phone. */
function useWidth(fallback: number) {
  const ref = useRef<HTMLDivElement>(null)
  const [width, setWidth] = useState(fallback)
  useEffect(() => {
    const el = ref.current
    if (el === null) return
    const observer = new ResizeObserver(([entry]) => {
      if (entry !== undefined && entry.contentRect.width > 0)
        setWidth(Math.round(entry.contentRect.width))
    })
    observer.observe(el)
    return () => observer.disconnect()
  }, [])
  return [ref, width] as const
}

/** The smallest of 0.1, 0.2, ... 1 at or above the largest figure, so lines use the chart's height. */
function ceilingOf(values: number[]): number {
  const top = Math.max(0, ...values)
  return Math.min(1, Math.max(0.1, Math.ceil(top * 10 - 1e-9) / 10))
}

/**
 * Which runs get a date under the axis: the first run of each day (several runs a day share one label),
 * none closer than `gap` pixels to the previous one, and the latest day always.
 */
function dayLabels(
  runs: TrainingRun[],
  x: (i: number) => number,
  gap: number,
): Map<number, string> {
  const day = (run: TrainingRun) =>
    new Date(run.trainedAt).toLocaleDateString('en-GB', {
      day: 'numeric',
      month: 'short',
      timeZone: 'UTC',
    })
  const firsts = runs.flatMap((run, i) => (i === 0 || day(run) !== day(runs[i - 1]!) ? [i] : []))
  const labels = new Map<number, string>()
  let previous = -Infinity
  firsts.forEach((i, k) => {
    const isLast = k === firsts.length - 1
    if (x(i) - previous < gap) {
      // The latest day wins its place over the label before it.
      if (!isLast) return
      labels.delete([...labels.keys()].pop()!)
    }
    labels.set(i, day(runs[i]!))
    previous = x(i)
  })
  return labels
}

/** Validation Recall@20 of each level over the runs (oldest first); a run without figures has no point. */
export function RecallChart({ runs }: { runs: TrainingRun[] }) {
  const [box, width] = useWidth(560)
  const height = 200
  const pad = { left: 40, right: 12, top: 12, bottom: 30 }
  const recall = (run: TrainingRun, key: string) => {
    const value = run.quality.figures?.[key as FigureKey]?.recall20
    return typeof value === 'number' && Number.isFinite(value) ? value : undefined
  }
  const measured = runs.filter((r) => SERIES.some((s) => recall(r, s.key) !== undefined))
  const top = ceilingOf(runs.flatMap((r) => SERIES.map((s) => recall(r, s.key) ?? 0)))
  const innerWidth = Math.max(60, width - pad.left - pad.right)
  const x = (i: number) =>
    pad.left + (runs.length === 1 ? innerWidth / 2 : (i * innerWidth) / (runs.length - 1))
  const y = (value: number) => pad.top + (1 - value / top) * (height - pad.top - pad.bottom)
  const labels = dayLabels(runs, x, 64)
  const last = runs[runs.length - 1]
  const lastFigures =
    last === undefined || recall(last, 'personal') === undefined
      ? 'The latest run has no validation figures.'
      : `The latest run, ${formatDate(last.trainedAt)}: ${SERIES.map(
          (s) => `${s.label.toLowerCase()} ${figure(recall(last, s.key))}`,
        ).join(', ')}.`
  const runText = (run: TrainingRun) =>
    recall(run, 'personal') === undefined && recall(run, 'session') === undefined
      ? `${formatDate(run.trainedAt)}: no validation figures`
      : `${formatDate(run.trainedAt)}: ${SERIES.map((s) => `${s.label.toLowerCase()} ${figure(recall(run, s.key))}`).join(', ')}`

  return (
    <figure class="recall-chart">
      <div ref={box}>
        <svg
          width={width}
          height={height}
          viewBox={`0 0 ${width} ${height}`}
          role="img"
          aria-labelledby="recall-title recall-desc"
          data-testid="recall-chart"
        >
          <title id="recall-title">
            Validation Recall@20 per training run, for the personal, session and off levels
          </title>
          <desc id="recall-desc">
            {runs.length} training {runs.length === 1 ? 'run' : 'runs'} shown, {measured.length}{' '}
            with validation figures. {lastFigures} Every run's figures are in the table below the
            chart.
          </desc>
          {[0, top / 2, top].map((v) => (
            <g key={v} aria-hidden="true">
              <line x1={pad.left} x2={width - pad.right} y1={y(v)} y2={y(v)} stroke="#ddd" />
              <text x={pad.left - 6} y={y(v) + 4} font-size="12" text-anchor="end">
                {v.toFixed(2)}
              </text>
            </g>
          ))}
          {SERIES.map((s) => {
            // A run without figures breaks the line rather than joining its neighbours.
            const segments: [number, number][][] = [[]]
            runs.forEach((run, i) => {
              const value = recall(run, s.key)
              if (value === undefined) segments.push([])
              else segments[segments.length - 1]!.push([x(i), y(value)])
            })
            return (
              <g key={s.key} data-series={s.key}>
                {segments
                  .filter((points) => points.length > 1)
                  .map((points) => (
                    <polyline
                      key={points[0]!.join()}
                      fill="none"
                      stroke={s.colour}
                      stroke-width="2"
                      stroke-dasharray={s.dash}
                      points={points.map((p) => p.join(',')).join(' ')}
                    />
                  ))}
              </g>
            )
          })}
          {runs.map((run, i) => (
            <g key={run.id} data-run={run.id} class="run">
              <title>{runText(run)}</title>
              {/* A tick on the axis for every run, so runs without figures still show. */}
              <line
                x1={x(i)}
                x2={x(i)}
                y1={y(0)}
                y2={y(0) + 5}
                stroke="#5b6472"
                stroke-width="1.5"
              />
              {SERIES.map((s) => {
                const value = recall(run, s.key)
                return value === undefined ? null : (
                  <circle
                    key={s.key}
                    data-level={s.key}
                    class="point"
                    cx={x(i)}
                    cy={y(value)}
                    r="4"
                    fill={s.key === 'personal' ? s.colour : '#fff'}
                    stroke={s.colour}
                    stroke-width="2"
                  />
                )
              })}
              {labels.has(i) ? (
                <text
                  x={x(i)}
                  y={height - 8}
                  font-size="12"
                  text-anchor={
                    runs.length === 1
                      ? 'middle'
                      : i === 0
                        ? 'start'
                        : i === runs.length - 1
                          ? 'end'
                          : 'middle'
                  }
                  aria-hidden="true"
                >
                  {labels.get(i)}
                </text>
              ) : null}
            </g>
          ))}
        </svg>
      </div>
      <figcaption>
        <ul class="legend">
          {SERIES.map((s) => (
            <li key={s.key}>
              <svg width="28" height="12" aria-hidden="true">
                <line
                  x1="1"
                  x2="27"
                  y1="6"
                  y2="6"
                  stroke={s.colour}
                  stroke-width="2"
                  stroke-dasharray={s.dash}
                />
                <circle
                  cx="14"
                  cy="6"
                  r="3.5"
                  fill={s.key === 'personal' ? s.colour : '#fff'}
                  stroke={s.colour}
                  stroke-width="2"
                />
              </svg>{' '}
              {s.label}
            </li>
          ))}
        </ul>
        One mark on the axis per training run, oldest on the left; a run with no points above its
        mark has no validation figures.
        <details>
          <summary>Figures per run</summary>
          <table data-testid="recall-runs" class="numbers">
            <thead>
              <tr>
                <th scope="col">Trained</th>
                {SERIES.map((s) => (
                  <th key={s.key} scope="col">
                    {s.label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {[...runs].reverse().map((run) => (
                <tr key={run.id}>
                  <th scope="row">{formatDate(run.trainedAt)}</th>
                  {SERIES.map((s) => (
                    <td key={s.key}>{figure(recall(run, s.key))}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      </figcaption>
    </figure>
  )
}

/** The latest run's report in full, and Recall@20 over the runs. */
export function TrainingQuality({ run, runs }: { run: TrainingRun | null; runs: TrainingRun[] }) {
  if (run === null) return <p>No training has run yet.</p>
  const report = run.quality
  return (
    <>
      <p data-testid="latest-run">
        Latest training: <strong>{formatDate(run.trainedAt)}</strong>, from {count(run.events)}{' '}
        events of {count(run.subjects)} shoppers over {count(run.items)} items, in{' '}
        {run.seconds.toFixed(2)} s.
      </p>
      <p data-testid="tuning" class={report.tuned === true ? 'ok' : 'muted'}>
        {tuningSentence(report)}
      </p>
      <HeldOut report={report} />
      {report.figures === undefined ? (
        <p class="muted">No validation figures for this run.</p>
      ) : (
        <FiguresTable figures={report.figures} />
      )}
      {report.params === undefined ? null : <Params params={report.params} />}
      <h3>Validation Recall@20 per training run</h3>
      <RecallChart runs={runs} />
    </>
  )
}
