/**
 * One audit report as one self-contained HTML file (`candor audit report --out report.html`): the
 * findings, what changed since the previous report, the three audits' figures, the charts as inline SVG
 * (rendered from their Vega-Lite specs by `reviews.charts.ts`) and the impact assessment with its
 * sign-off. No script, no external file, no font or image fetched: it opens offline and prints as it
 * shows. Every value is escaped; nothing in a report is personal data.
 */
import { escapeHtml } from '../charter/index.js'
import type { ReportChanges } from './reports.compare.js'
import type { DpiaView } from './reports.service.js'
import { renderChartSvg } from './reviews.charts.js'
import type { AuditReport, Finding, Severity } from './reviews.js'

export interface HtmlReportInput {
  report: AuditReport
  changes: ReportChanges | null
  dpia: DpiaView
  controller: string
}

const SEVERITY_WORDS: Readonly<Record<Severity, string>> = {
  problem: 'Problem',
  warning: 'Warning',
  info: 'Note',
  ok: 'OK',
}
const SEVERITY_ORDER: readonly Severity[] = ['problem', 'warning', 'info', 'ok']
const AREAS = [
  ['fairness', 'Fairness and bias of the recommendations'],
  ['privacy', 'Privacy'],
  ['security', 'Security'],
] as const

const STYLE = [
  'body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1a1a1a;background:#fff}',
  'main{max-width:60rem;margin:0 auto;padding:1.5rem}',
  'h1{font-size:1.7rem;margin-bottom:.25rem}h2{margin-top:2.2rem;border-bottom:2px solid #444}',
  'table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}',
  'th,td{border-bottom:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}',
  'th{background:#f3f5f8}td.num{text-align:right;font-variant-numeric:tabular-nums}',
  '.sev{display:inline-block;padding:0 .45rem;border-radius:.3rem;font-weight:600;font-size:.85rem}',
  '.sev-problem{background:#9b1c1c;color:#fff}.sev-warning{background:#8a5300;color:#fff}',
  '.sev-info{background:#1d4e89;color:#fff}.sev-ok{background:#e6f4ea;color:#14532d}',
  '.lead{color:#444}.charts{display:flex;flex-wrap:wrap;gap:1.5rem}',
  'figure{margin:0;max-width:100%}figure svg{max-width:100%;height:auto}figcaption{font-weight:600;margin-bottom:.25rem}',
  '.cards{display:flex;gap:1rem;flex-wrap:wrap}.card{border:1px solid #ccc;border-radius:.4rem;padding:.5rem 1rem}',
  '.card strong{display:block;font-size:1.5rem}code{word-break:break-all}',
  '@media print{h2{break-after:avoid}figure,tr{break-inside:avoid}}',
].join('')

const e = escapeHtml

function badge(severity: Severity): string {
  return `<span class="sev sev-${severity}">${SEVERITY_WORDS[severity]}</span>`
}

/** A figure as text: a ratio with three decimals at most, an integer as it is. */
function formatValue(value: unknown): string {
  if (value === null || value === undefined) return '–'
  if (typeof value === 'number')
    return Number.isInteger(value) ? String(value) : String(Math.round(value * 1000) / 1000)
  if (typeof value === 'boolean') return value ? 'yes' : 'no'
  if (Array.isArray(value)) return value.map(formatValue).join(', ')
  if (typeof value === 'string') return e(value)
  return e(JSON.stringify(value))
}

/** "pastRetention" -> "past retention". */
const words = (key: string) => key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase()

/**
 * An audit part as tables: its plain values in one table, each list of records in a table of its own,
 * each nested object in a table of its own. Generic on purpose, so a new figure shows without a change.
 */
function partHtml(part: Record<string, unknown>): string {
  const plain: string[] = []
  const tables: string[] = []
  for (const [key, value] of Object.entries(part)) {
    if (Array.isArray(value) && value.length > 0 && typeof value[0] === 'object') {
      const rows = value as Record<string, unknown>[]
      const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))]
      tables.push(
        `<h4>${e(words(key))}</h4><table><thead><tr>${columns.map((c) => `<th scope="col">${e(words(c))}</th>`).join('')}</tr></thead><tbody>` +
          rows
            .map(
              (r) =>
                `<tr>${columns.map((c) => `<td${typeof r[c] === 'number' ? ' class="num"' : ''}>${formatValue(r[c])}</td>`).join('')}</tr>`,
            )
            .join('') +
          '</tbody></table>',
      )
    } else if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      tables.push(`<h4>${e(words(key))}</h4>${partHtml(value as Record<string, unknown>)}`)
    } else {
      plain.push(
        `<tr><th scope="row">${e(words(key))}</th><td class="num">${formatValue(value)}</td></tr>`,
      )
    }
  }
  const head = plain.length === 0 ? '' : `<table><tbody>${plain.join('')}</tbody></table>`
  return head + tables.join('')
}

function findingsHtml(findings: readonly Finding[]): string {
  if (findings.length === 0) return '<p>No findings.</p>'
  const sorted = [...findings].sort(
    (a, b) => SEVERITY_ORDER.indexOf(a.severity) - SEVERITY_ORDER.indexOf(b.severity),
  )
  return (
    '<table><thead><tr><th scope="col">Severity</th><th scope="col">Finding</th><th scope="col">What was measured, what to do</th><th scope="col">Check</th></tr></thead><tbody>' +
    sorted
      .map(
        (f) =>
          `<tr><td>${badge(f.severity)}</td><td>${e(f.title)}</td><td>${e(f.detail)}</td><td><code>${e(f.check)}</code></td></tr>`,
      )
      .join('') +
    '</tbody></table>'
  )
}

function changesHtml(changes: ReportChanges | null): string {
  if (changes === null) return '<p>This is the first report: nothing to compare with.</p>'
  const moved = changes.findings.filter((f) => f.change !== 'same')
  const c = changes.counts
  const lead = `<p class="lead">Since the report of ${e(changes.previousAt)}: ${c.worse} worse, ${c.new} new, ${c.better} better, ${c.resolved} resolved, ${c.same} unchanged.</p>`
  if (moved.length === 0) return lead
  return (
    lead +
    '<table><thead><tr><th scope="col">Change</th><th scope="col">Check</th><th scope="col">Before</th><th scope="col">Now</th><th scope="col">Figures</th></tr></thead><tbody>' +
    moved
      .map(
        (f) =>
          `<tr><td>${e(f.change)}</td><td>${e(f.title)} <code>${e(f.check)}</code></td><td>${f.before === null ? '–' : badge(f.before)}</td><td>${f.after === null ? '–' : badge(f.after)}</td><td>${f.figures.map((g) => `${e(words(g.name))}: ${formatValue(g.before)} → ${formatValue(g.after)}`).join('<br>')}</td></tr>`,
      )
      .join('') +
    '</tbody></table>'
  )
}

function dpiaHtml(dpia: DpiaView): string {
  const s = dpia.signOff
  const signed =
    s === null
      ? '<p><strong>Not signed off yet.</strong> A privacy officer signs it off with <code>POST /v1/audits/dpia/sign-off</code>.</p>'
      : `<p>Signed off on ${e(s.signedAt)} by key <code>${e(s.signedBy)}</code>${s.stale ? ` — <strong>stale</strong>: ${e(s.staleReason ?? '')}` : ' (current)'}.</p>`
  const purposes = dpia.purposes
    .map(
      (p) =>
        `<h3>${e(p.title)} <code>${e(p.key)}</code></h3>` +
        `<p>${e(p.necessity)} ${e(p.retention)}</p>` +
        `<p>Data: ${e(p.dataCategories.map((d) => d.words).join('; '))}.${p.recipients.length > 0 ? ` Recipients: ${e(p.recipients.join(', '))}.` : ''}</p>` +
        '<table><thead><tr><th scope="col">Risk</th><th scope="col">Inherent (L×S)</th><th scope="col">Controls</th><th scope="col">Residual (L×S)</th></tr></thead><tbody>' +
        p.risks
          .map(
            (r) =>
              `<tr><td>${e(r.risk)}</td><td>${r.inherent} (${r.likelihood}×${r.severity})</td><td><ul>${r.controls.map((c) => `<li>${e(c)}</li>`).join('')}</ul></td><td>${r.residual} (${r.residualLikelihood}×${r.residualSeverity})</td></tr>`,
          )
          .join('') +
        '</tbody></table>',
    )
    .join('')
  return `${signed}<p>Residual risk overall: <strong>${dpia.residual}</strong> (purposes: ${dpia.summary.high} high, ${dpia.summary.medium} medium, ${dpia.summary.low} low).</p>${purposes}`
}

/**
 * The whole HTML file. Async because the charts are rendered by Vega.
 *
 * @example await fs.writeFile('report.html', await renderReportHtml({ report, changes, dpia, controller }))
 */
export async function renderReportHtml(input: HtmlReportInput): Promise<string> {
  const { report, changes, dpia } = input
  const counts = SEVERITY_ORDER.map(
    (s) =>
      `<div class="card">${badge(s)}<strong>${report.findings.filter((f) => f.severity === s).length}</strong></div>`,
  ).join('')
  const charts = await Promise.all(
    report.charts.map(
      async (c) =>
        `<figure data-chart="${e(c.name)}"><figcaption>${e(c.title)}</figcaption>${await renderChartSvg(c)}</figure>`,
    ),
  )
  const areas = AREAS.map(
    ([area, title]) =>
      `<section aria-labelledby="area-${area}"><h2 id="area-${area}">${e(title)}</h2>` +
      findingsHtml(report.findings.filter((f) => f.area === area)) +
      `<details><summary>All figures</summary>${partHtml(report[area] as unknown as Record<string, unknown>)}</details></section>`,
  ).join('\n')
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Audit report ${e(report.createdAt.slice(0, 10))} · ${e(input.controller)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>Audit report: fairness, privacy and security</h1>
<p class="lead">${e(input.controller)} · produced by Candor on ${e(report.createdAt)} · report <code>${e(report.id)}</code> · notice version <code>${e(report.noticeVersion)}</code></p>
<section aria-labelledby="summary"><h2 id="summary">Summary</h2><div class="cards">${counts}</div></section>
<section aria-labelledby="changes"><h2 id="changes">Change since the previous report</h2>${changesHtml(changes)}</section>
<section aria-labelledby="charts"><h2 id="charts">Charts</h2><div class="charts">${charts.join('')}</div></section>
${areas}
<section aria-labelledby="dpia"><h2 id="dpia">Data protection impact assessment</h2>${dpiaHtml(dpia)}</section>
<footer><p class="lead">Figures are counts, rates and ratios; the report holds no personal data. Groups under the minimum size are merged or withheld.</p></footer>
</main>
</body>
</html>
`
}
