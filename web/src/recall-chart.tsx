/**
 * The console's chart of validation Recall@20 per training run, one line per level (personal, session,
 * off), with a mark on the axis for every run, a legend, and every figure in a table too. Hand-written
 * SVG rather than a chart library: see "Staff console" in the README.
 */
import { useEffect, useRef, useState } from 'preact/hooks'
import { formatDate } from './api.js'
import { type FigureKey, type TrainingRun, figure } from './quality-figures.js'

/** The levels charted over runs, each with its colour and line pattern (told apart without colour). */
const SERIES = [
  { key: 'personal', label: 'Personal', colour: '#1f5f7a', dash: '' },
  { key: 'session', label: 'Session', colour: '#c0392b', dash: '6 4' },
  { key: 'off', label: 'Off', colour: '#6b7280', dash: '2 3' },
] as const
type Series = (typeof SERIES)[number]

const HEIGHT = 200
const PAD = { left: 40, right: 12, top: 12, bottom: 30 }

/** The chart's scales: a run's index to x, a figure to y (in CSS pixels). */
interface Scales {
  x: (i: number) => number
  y: (value: number) => number
}

/** The width the chart has on the page, in CSS pixels, so its text keeps its size on a phone. */
export function useWidth(fallback: number) {
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

/** A run's validation Recall@20 at a level, or undefined when it has no such figure. */
function recall(run: TrainingRun, key: string): number | undefined {
  const value = run.quality.figures?.[key as FigureKey]?.recall20
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined
}

/** A level's line; a run without figures breaks the line rather than joining its neighbours. */
function SeriesLine({ series, runs, x, y }: Scales & { series: Series; runs: TrainingRun[] }) {
  const segments: [number, number][][] = [[]]
  runs.forEach((run, i) => {
    const value = recall(run, series.key)
    if (value === undefined) segments.push([])
    else segments[segments.length - 1]!.push([x(i), y(value)])
  })
  return (
    <g data-series={series.key}>
      {segments
        .filter((points) => points.length > 1)
        .map((points) => (
          <polyline
            key={points[0]!.join()}
            fill="none"
            stroke={series.colour}
            stroke-width="2"
            stroke-dasharray={series.dash}
            points={points.map((p) => p.join(',')).join(' ')}
          />
        ))}
    </g>
  )
}

/** The date under a run's mark: centred, except at the ends of the axis. */
function anchorOf(i: number, runs: number): string {
  if (runs === 1) return 'middle'
  return i === 0 ? 'start' : i === runs - 1 ? 'end' : 'middle'
}

/** A run's mark on the axis, its points, its date (when it has one) and its figures as a tooltip. */
function RunMarks(props: Scales & { runs: TrainingRun[]; labels: Map<number, string> }) {
  const { runs, labels, x, y } = props
  const runText = (run: TrainingRun) =>
    recall(run, 'personal') === undefined && recall(run, 'session') === undefined
      ? `${formatDate(run.trainedAt)}: no validation figures`
      : `${formatDate(run.trainedAt)}: ${SERIES.map((s) => `${s.label.toLowerCase()} ${figure(recall(run, s.key))}`).join(', ')}`
  return runs.map((run, i) => (
    <g key={run.id} data-run={run.id} class="run">
      <title>{runText(run)}</title>
      {/* A tick on the axis for every run, so runs without figures still show. */}
      <line x1={x(i)} x2={x(i)} y1={y(0)} y2={y(0) + 5} stroke="#5b6472" stroke-width="1.5" />
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
          y={HEIGHT - 8}
          font-size="12"
          text-anchor={anchorOf(i, runs.length)}
          aria-hidden="true"
        >
          {labels.get(i)}
        </text>
      ) : null}
    </g>
  ))
}

function Legend() {
  return (
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
  )
}

/** Every run's figures, newest first. */
function RunsTable({ runs }: { runs: TrainingRun[] }) {
  return (
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
  )
}

/** The latest run's figures in words, for the chart's description. */
function lastFigures(runs: TrainingRun[]): string {
  const last = runs[runs.length - 1]
  return last === undefined || recall(last, 'personal') === undefined
    ? 'The latest run has no validation figures.'
    : `The latest run, ${formatDate(last.trainedAt)}: ${SERIES.map(
        (s) => `${s.label.toLowerCase()} ${figure(recall(last, s.key))}`,
      ).join(', ')}.`
}

/** Validation Recall@20 of each level over the runs (oldest first); a run without figures has no point. */
export function RecallChart({ runs }: { runs: TrainingRun[] }) {
  const [box, width] = useWidth(560)
  const measured = runs.filter((r) => SERIES.some((s) => recall(r, s.key) !== undefined))
  const top = ceilingOf(runs.flatMap((r) => SERIES.map((s) => recall(r, s.key) ?? 0)))
  const innerWidth = Math.max(60, width - PAD.left - PAD.right)
  const x = (i: number) =>
    PAD.left + (runs.length === 1 ? innerWidth / 2 : (i * innerWidth) / (runs.length - 1))
  const y = (value: number) => PAD.top + (1 - value / top) * (HEIGHT - PAD.top - PAD.bottom)

  return (
    <figure class="recall-chart">
      <div ref={box}>
        <svg
          width={width}
          height={HEIGHT}
          viewBox={`0 0 ${width} ${HEIGHT}`}
          role="img"
          aria-labelledby="recall-title recall-desc"
          data-testid="recall-chart"
        >
          <title id="recall-title">
            Validation Recall@20 per training run, for the personal, session and off levels
          </title>
          <desc id="recall-desc">
            {runs.length} training {runs.length === 1 ? 'run' : 'runs'} shown, {measured.length}{' '}
            with validation figures. {lastFigures(runs)} Every run's figures are in the table below
            the chart.
          </desc>
          {[0, top / 2, top].map((v) => (
            <g key={v} aria-hidden="true">
              <line x1={PAD.left} x2={width - PAD.right} y1={y(v)} y2={y(v)} stroke="#ddd" />
              <text x={PAD.left - 6} y={y(v) + 4} font-size="12" text-anchor="end">
                {v.toFixed(2)}
              </text>
            </g>
          ))}
          {SERIES.map((s) => (
            <SeriesLine key={s.key} series={s} runs={runs} x={x} y={y} />
          ))}
          <RunMarks runs={runs} labels={dayLabels(runs, x, 64)} x={x} y={y} />
        </svg>
      </div>
      <figcaption>
        <Legend />
        One mark on the axis per training run, oldest on the left; a run with no points above its
        mark has no validation figures.
        <details>
          <summary>Figures per run</summary>
          <RunsTable runs={runs} />
        </details>
      </figcaption>
    </figure>
  )
}
