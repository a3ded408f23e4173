/**
 * A chart spec (Vega-Lite, data inline) rendered to SVG on the server with Vega's headless view:
 * renderer `none` and `view.toSVG()`, so no canvas and no browser. Expressions run through
 * `vega-interpreter` rather than Vega's default code generation, the same way the console draws them
 * under its Content-Security-Policy (no eval). The console draws the very same specs in the browser.
 */
import type { TopLevelSpec } from 'vega-lite'
import type { ChartSpec } from './reviews.js'

/**
 * The SVG text of one chart: a standalone `<svg>` element with a `<title>` for screen readers.
 *
 * @example const svg = await renderChartSvg(report.charts[0])
 */
export async function renderChartSvg(chart: ChartSpec): Promise<string> {
  // Loaded on the first chart, not with the module: Vega costs about half a second of CPU to load, and
  // every process that wires the modules (each CLI command, each server worker) would pay it.
  const [{ View, parse }, { expressionInterpreter }, { compile }] = await Promise.all([
    import('vega'),
    import('vega-interpreter'),
    import('vega-lite'),
  ])
  const vegaSpec = compile(chart.spec as unknown as TopLevelSpec).spec
  const view = new View(parse(vegaSpec, undefined, { ast: true }), {
    renderer: 'none',
    expr: expressionInterpreter,
  })
  try {
    const svg = await view.toSVG()
    // An accessible name: the chart's title, as the first child of the root element.
    return svg.replace(/^<svg([^>]*)>/, (_m, attrs: string) => {
      return `<svg${attrs} role="img" aria-label="${escapeAttr(chart.title)}"><title>${escapeAttr(chart.title)}</title>`
    })
  } finally {
    view.finalize()
  }
}

function escapeAttr(value: string): string {
  return value
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
}
