/**
 * The console's "Recommendation quality" section: how the latest training run chose its parameters and
 * how well each level ranked on the shop's held-out period, beside two trivial answers, and a chart of
 * validation Recall@20 over the last training runs.
 *
 * The chart (recall-chart.tsx) is hand-written SVG rather than a chart library: see "Staff console" in
 * the README.
 */
import { formatDate } from './api.js'
import { bearer, client, ok } from './client.js'
import {
  type FigureKey,
  type QualityAnswer,
  type TrainingRun,
  type TuningReport,
  figure,
} from './quality-figures.js'
import { RecallChart } from './recall-chart.js'

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
