/**
 * The console's audit reports (issue 20): the latest fairness, privacy and security report with its
 * findings and charts (drawn from the report's Vega-Lite specs, the ones the HTML report renders on the
 * server), what changed since the previous report, a button that runs the audits now, and the data
 * protection impact assessment with its sign-off (privacy officers sign; a new notice version makes
 * the sign-off stale).
 */
import { useState } from 'preact/hooks'
import { ApiError, formatDate } from '../api.js'
import { type AnswerOf, bearer, client, ok } from '../client.js'
import { VegaChart } from '../vega-chart.js'
import { Status, useLoad } from './load.js'
import './reports.css'

type Latest = AnswerOf<'/v1/audits/reports/latest', 'get'>
type Report = NonNullable<Latest['latest']>
type Changes = NonNullable<Latest['changes']>
type Dpia = AnswerOf<'/v1/audits/dpia', 'get'>
type Severity = Report['findings'][number]['severity']

const SEVERITY_WORDS: Record<Severity, string> = {
  problem: 'Problem',
  warning: 'Warning',
  info: 'Note',
  ok: 'OK',
}
const SEVERITY_ORDER: Severity[] = ['problem', 'warning', 'info', 'ok']
const AREAS = [
  ['fairness', 'Fairness and bias'],
  ['privacy', 'Privacy'],
  ['security', 'Security'],
] as const

function Badge({ severity }: { severity: Severity }) {
  return <span class={`sev sev-${severity}`}>{SEVERITY_WORDS[severity]}</span>
}

function ChangesTable({ changes }: { changes: Changes | null }) {
  if (changes === null)
    return <p data-testid="changes">The first report: nothing to compare with yet.</p>
  const moved = changes.findings.filter((f) => f.change !== 'same')
  const c = changes.counts
  return (
    <div data-testid="changes">
      <p>
        Since the report of {formatDate(changes.previousAt)}: {c.worse} worse, {c.new} new,{' '}
        {c.better} better, {c.resolved} resolved, {c.same} unchanged.
      </p>
      {moved.length === 0 ? null : (
        <table class="stack">
          <thead>
            <tr>
              <th scope="col">Change</th>
              <th scope="col">Check</th>
              <th scope="col">Before</th>
              <th scope="col">Now</th>
              <th scope="col">Figures</th>
            </tr>
          </thead>
          <tbody>
            {moved.map((f) => (
              <tr key={f.check} data-change={f.change}>
                <td data-label="Change">{f.change}</td>
                <td data-label="Check">{f.title}</td>
                <td data-label="Before">
                  {f.before === null ? '–' : <Badge severity={f.before} />}
                </td>
                <td data-label="Now">{f.after === null ? '–' : <Badge severity={f.after} />}</td>
                <td data-label="Figures">
                  {f.figures
                    .map((g) => `${g.name}: ${g.before ?? '–'} → ${g.after ?? '–'}`)
                    .join('; ')}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  )
}

function Findings({ report }: { report: Report }) {
  return (
    <>
      {AREAS.map(([area, title]) => {
        const findings = report.findings
          .filter((f) => f.area === area)
          .sort((a, b) => SEVERITY_ORDER.indexOf(a.severity) - SEVERITY_ORDER.indexOf(b.severity))
        return (
          <div key={area} data-area={area}>
            <h4>{title}</h4>
            {findings.length === 0 ? (
              <p class="muted">No findings.</p>
            ) : (
              <table class="stack">
                <thead>
                  <tr>
                    <th scope="col">Severity</th>
                    <th scope="col">Finding</th>
                    <th scope="col">What was measured, what to do</th>
                  </tr>
                </thead>
                <tbody>
                  {findings.map((f, i) => (
                    <tr key={`${f.check}-${i}`} data-check={f.check} data-severity={f.severity}>
                      <td data-label="Severity">
                        <Badge severity={f.severity} />
                      </td>
                      <td data-label="Finding">{f.title}</td>
                      <td data-label="Detail">{f.detail}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </div>
        )
      })}
    </>
  )
}

function ReportView({ latest, changes }: { latest: Report; changes: Changes | null }) {
  return (
    <div data-testid="report" data-report={latest.id}>
      <p>
        Report of {formatDate(latest.createdAt)}, notice version{' '}
        <code>{latest.noticeVersion.slice(0, 16)}</code>.
      </p>
      <ul class="sev-counts" aria-label="Findings by severity">
        {SEVERITY_ORDER.map((s) => (
          <li key={s}>
            <Badge severity={s} /> {latest.findings.filter((f) => f.severity === s).length}
          </li>
        ))}
      </ul>
      <h3>Change since the previous report</h3>
      <ChangesTable changes={changes} />
      <h3>Charts</h3>
      <div class="charts">
        {latest.charts.map((c) => (
          <VegaChart key={c.name} name={c.name} title={c.title} spec={c.spec} />
        ))}
      </div>
      <h3>Findings</h3>
      <Findings report={latest} />
    </div>
  )
}

function DpiaView({ token, signs }: { token: string; signs: boolean }) {
  const [dpia, reload] = useLoad(`${token} dpia`, () =>
    ok(client.GET('/v1/audits/dpia', { headers: bearer(token) })),
  )
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string>()
  const signOff = (d: Dpia) => {
    setBusy(true)
    setError(undefined)
    ok(
      client.POST('/v1/audits/dpia/sign-off', {
        headers: bearer(token),
        body: { noticeVersion: d.noticeVersion },
      }),
    )
      .then(reload)
      .catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)))
      .finally(() => setBusy(false))
  }
  return (
    <Status loaded={dpia}>
      {(d) => (
        <div data-testid="dpia">
          <p>
            Residual risk overall: <strong>{d.residual}</strong> ({d.summary.high} high,{' '}
            {d.summary.medium} medium, {d.summary.low} low, over {d.purposes.length} purposes).
          </p>
          <p data-testid="dpia-signoff">
            {d.signOff === null
              ? 'Not signed off yet.'
              : d.signOff.stale
                ? `Signed off on ${formatDate(d.signOff.signedAt)}, now stale: ${d.signOff.staleReason ?? ''}`
                : `Signed off on ${formatDate(d.signOff.signedAt)} by key ${d.signOff.signedBy}.`}
          </p>
          {signs && (d.signOff === null || d.signOff.stale) ? (
            <button type="button" class="primary" disabled={busy} onClick={() => signOff(d)}>
              Sign off this assessment
            </button>
          ) : null}
          {error === undefined ? null : (
            <p class="error" role="alert">
              {error}
            </p>
          )}
          <details>
            <summary>Risks per purpose</summary>
            <table class="stack">
              <thead>
                <tr>
                  <th scope="col">Purpose</th>
                  <th scope="col">Risk</th>
                  <th scope="col">Inherent</th>
                  <th scope="col">Residual</th>
                </tr>
              </thead>
              <tbody>
                {d.purposes.flatMap((p) =>
                  p.risks.map((r) => (
                    <tr key={`${p.key}-${r.id}`}>
                      <td data-label="Purpose">{p.title}</td>
                      <td data-label="Risk">{r.risk}</td>
                      <td data-label="Inherent">
                        {r.inherent} ({r.likelihood}×{r.severity})
                      </td>
                      <td data-label="Residual">
                        {r.residual} ({r.residualLikelihood}×{r.residualSeverity})
                      </td>
                    </tr>
                  )),
                )}
              </tbody>
            </table>
          </details>
        </div>
      )}
    </Status>
  )
}

/** The latest report as the server's self-contained HTML file, handed to the browser's downloads. */
async function downloadReport(token: string): Promise<void> {
  const response = await fetch('/v1/audits/reports/latest/html', {
    headers: { ...bearer(token), accept: 'text/html' },
  })
  if (!response.ok) {
    const problem = (await response.json().catch(() => ({}))) as { code?: string; detail?: string }
    throw new ApiError(
      response.status,
      problem.code ?? 'http_error',
      problem.detail ?? `HTTP ${response.status}`,
    )
  }
  const named = /filename="([^"]+)"/.exec(response.headers.get('content-disposition') ?? '')?.[1]
  const url = URL.createObjectURL(await response.blob())
  const a = document.createElement('a')
  a.href = url
  a.download = named ?? 'candor-audit.html'
  document.body.append(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}

export function ReportsPanel({ token, may }: { token: string; may: { signOff: boolean } }) {
  const [latest, reload] = useLoad(`${token} reports`, () =>
    ok(client.GET('/v1/audits/reports/latest', { headers: bearer(token) })),
  )
  const [running, setRunning] = useState(false)
  const [error, setError] = useState<string>()
  const runNow = () => {
    setRunning(true)
    setError(undefined)
    ok(client.POST('/v1/audits/reports', { headers: bearer(token) }))
      .then(reload)
      .catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)))
      .finally(() => setRunning(false))
  }
  const download = () => {
    setError(undefined)
    downloadReport(token).catch((e: unknown) =>
      setError(e instanceof Error ? e.message : String(e)),
    )
  }
  return (
    <>
      <p>
        <button type="button" onClick={runNow} disabled={running} aria-busy={running}>
          {running ? 'Running the audits…' : 'Run the audits now'}
        </button>{' '}
        <button type="button" onClick={download} disabled={running}>
          Download as HTML
        </button>{' '}
        <span class="small muted">
          The server runs them every day; <code>candor audit report</code> writes one as HTML.
        </span>
      </p>
      {error === undefined ? null : (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <Status loaded={latest}>
        {({ latest: report, changes }) =>
          report === null ? (
            <p data-testid="no-report">No report yet: run the audits.</p>
          ) : (
            <ReportView latest={report} changes={changes} />
          )
        }
      </Status>
      <h3>Data protection impact assessment</h3>
      <DpiaView token={token} signs={may.signOff} />
    </>
  )
}
