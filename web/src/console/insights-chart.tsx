/**
 * An Insights answer as a chart and a table: one horizontal bar per cell (the noisy figure) with a
 * whisker for its 95% interval, the group and figure written above each bar so long names fit a phone,
 * and every figure of every cell in the table below. Hand-written SVG like the recall chart
 * (`../recall-chart.tsx`); the chart draws the first cells (the server sorts them, largest first), the
 * table all of them.
 */
import { useWidth } from '../recall-chart.js'
import { DIMENSION_NAMES } from './insights-form.js'
import type { Dimension, InsightCell } from './insights-api.js'

/** Bars drawn at most; the table holds every cell. */
export const MAX_BARS = 30
const ROW = 40
const LABEL = 16
const BAR = 14
const TOP = 4
const AXIS = 24
const PAD = { left: 8, right: 14 }

/**
 * A figure as the panel writes it: to the precision its noise leaves meaningful when the noise's scale
 * is given (whole numbers once it is 5 or more), else whole numbers from 100 on and two decimals below.
 */
export function figureText(n: number, noise?: number): string {
  const digits =
    noise === undefined ? (Math.abs(n) >= 100 ? 0 : 2) : noise >= 5 ? 0 : noise >= 0.5 ? 1 : 2
  return n.toLocaleString('en-GB', { maximumFractionDigits: digits })
}

/** A cell's group in words, in the order grouped by ("All" when the query grouped by nothing). */
export function groupText(cell: InsightCell, groupBy: readonly Dimension[]): string {
  return groupBy.length === 0 ? 'All' : groupBy.map((d) => cell.group[d] ?? '–').join(' · ')
}

/** A step of 1, 2 or 5 times a power of ten giving about `parts` steps over `span`. */
function niceStep(span: number, parts: number): number {
  const raw = span / parts
  const power = 10 ** Math.floor(Math.log10(raw))
  const step = [1, 2, 5, 10].find((m) => m * power >= raw) ?? 10
  return step * power
}

function fit(text: string, chars: number): string {
  return text.length <= chars ? text : `${text.slice(0, Math.max(1, chars - 1))}…`
}

/** The value axis: x in CSS pixels for a figure, and round ticks covering every bar and whisker and 0. */
function scaleOf(shown: InsightCell[], width: number) {
  const lows = shown.map((c) => Math.min(c.value, c.interval[0]))
  const highs = shown.map((c) => Math.max(c.value, c.interval[1]))
  const rawLo = Math.min(0, ...lows)
  const rawHi = Math.max(0, ...highs)
  const step = niceStep(rawHi - rawLo || 1, width < 480 ? 4 : 6)
  const lo = Math.floor(rawLo / step) * step
  const hi = Math.max(lo + step, Math.ceil(rawHi / step) * step)
  const inner = Math.max(60, width - PAD.left - PAD.right)
  const x = (v: number) => PAD.left + ((v - lo) / (hi - lo)) * inner
  const ticks: number[] = []
  for (let t = lo; t <= hi + step / 2; t += step) ticks.push(Math.round(t / step) * step)
  return { x, ticks }
}

/** One cell: its label and figure above, the bar, and the whisker of its 95% interval. */
function CellBar(props: {
  cell: InsightCell
  i: number
  groupBy: readonly Dimension[]
  x: (v: number) => number
  chars: number
}) {
  const { cell, i, groupBy, x, chars } = props
  const top = TOP + i * ROW
  const barY = top + LABEL + 2
  const mid = barY + BAR / 2
  const label = groupText(cell, groupBy)
  const [low, high] = cell.interval
  const text = `${figureText(cell.value, cell.noiseScale)}  ${label}`
  return (
    <g class="cell" data-group={label} data-value={cell.value} data-low={low} data-high={high}>
      <title>{`${label}: ${figureText(cell.value, cell.noiseScale)}, 95% interval ${figureText(low, cell.noiseScale)} to ${figureText(high, cell.noiseScale)}`}</title>
      {/* A white halo keeps the label readable across the grid lines. */}
      <text
        x={PAD.left}
        y={top + 12}
        font-size="12"
        fill="#1d2430"
        stroke="#fff"
        stroke-width="3"
        paint-order="stroke"
      >
        {fit(text, chars)}
      </text>
      <rect
        class="bar"
        x={Math.min(x(0), x(cell.value))}
        y={barY}
        width={Math.max(0.5, Math.abs(x(cell.value) - x(0)))}
        height={BAR}
        fill="#9cc3d5"
      />
      <g class="whisker" stroke="#1d2430" stroke-width="2">
        <line x1={x(low)} x2={x(high)} y1={mid} y2={mid} />
        <line x1={x(low)} x2={x(low)} y1={mid - 6} y2={mid + 6} />
        <line x1={x(high)} x2={x(high)} y1={mid - 6} y2={mid + 6} />
      </g>
    </g>
  )
}

export function InsightsChart(props: {
  cells: InsightCell[]
  groupBy: readonly Dimension[]
  measure: string
}) {
  const { cells, groupBy } = props
  const [box, width] = useWidth(560)
  const shown = cells.slice(0, MAX_BARS)
  const { x, ticks } = scaleOf(shown, width)
  const height = TOP + shown.length * ROW + AXIS
  const chars = Math.floor(width / 7)
  const first = cells[0]
  return (
    <figure class="insights-chart">
      <div ref={box}>
        <svg
          width={width}
          height={height}
          viewBox={`0 0 ${width} ${height}`}
          role="img"
          aria-labelledby="insights-title insights-desc"
          data-testid="insights-chart"
        >
          <title id="insights-title">
            {`${props.measure}${groupBy.length === 0 ? '' : ` by ${groupBy.map((d) => DIMENSION_NAMES[d].toLowerCase()).join(', then ')}`}, with 95% intervals`}
          </title>
          <desc id="insights-desc">
            {cells.length} {cells.length === 1 ? 'group' : 'groups'}
            {cells.length > shown.length ? `, the first ${shown.length} drawn` : ''}.
            {first === undefined
              ? ''
              : ` The first: ${groupText(first, groupBy)}, ${figureText(first.value)} (95% interval ${figureText(first.interval[0])} to ${figureText(first.interval[1])}).`}{' '}
            Every figure is in the table below the chart.
          </desc>
          {ticks.map((t) => (
            <g key={t} aria-hidden="true">
              <line
                x1={x(t)}
                x2={x(t)}
                y1={TOP}
                y2={height - AXIS + 4}
                stroke={t === 0 ? '#5b6472' : '#e2e5ea'}
              />
              <text
                x={x(t)}
                y={height - 6}
                font-size="12"
                fill="#1d2430"
                text-anchor={t === ticks[0] ? 'start' : t === ticks.at(-1) ? 'end' : 'middle'}
              >
                {figureText(t)}
              </text>
            </g>
          ))}
          {shown.map((cell, i) => (
            <CellBar
              key={groupText(cell, groupBy)}
              cell={cell}
              i={i}
              groupBy={groupBy}
              x={x}
              chars={chars}
            />
          ))}
        </svg>
      </div>
      <figcaption class="small">
        Bars: the figure released, with its noise. Whiskers: the 95% interval, the range that holds
        the true figure 95 times in 100.
        {cells.some((c) => c.value < 0)
          ? ' A figure below zero is a small count that the noise pushed under 0.'
          : ''}
        {cells.length > shown.length
          ? ` The chart shows the first ${shown.length} of ${cells.length} groups; the table has them all.`
          : ''}
      </figcaption>
    </figure>
  )
}

/** Every cell's figures: its group, the noisy value, the noise's scale and the 95% interval. */
export function InsightsTable(props: { cells: InsightCell[]; groupBy: readonly Dimension[] }) {
  const { cells, groupBy } = props
  return (
    <div class="insights-table" tabIndex={0} role="region" aria-label="Every figure of the answer">
      <table class="stack numbers" data-testid="insights-table">
        <thead>
          <tr>
            {groupBy.length === 0 ? <th scope="col">Group</th> : null}
            {groupBy.map((d) => (
              <th key={d} scope="col">
                {DIMENSION_NAMES[d]}
              </th>
            ))}
            <th scope="col">Figure</th>
            <th scope="col">Noise scale</th>
            <th scope="col">95% interval</th>
          </tr>
        </thead>
        <tbody>
          {cells.map((cell) => (
            <tr key={groupText(cell, groupBy)} data-group={groupText(cell, groupBy)}>
              {groupBy.length === 0 ? <td data-label="Group">All</td> : null}
              {groupBy.map((d) => (
                <td key={d} data-label={DIMENSION_NAMES[d]}>
                  {cell.group[d] ?? '–'}
                </td>
              ))}
              <td data-label="Figure">{figureText(cell.value, cell.noiseScale)}</td>
              <td data-label="Noise scale">{figureText(cell.noiseScale)}</td>
              <td data-label="95% interval">
                {figureText(cell.interval[0], cell.noiseScale)} to{' '}
                {figureText(cell.interval[1], cell.noiseScale)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}
