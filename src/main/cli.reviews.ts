import type { Command } from 'commander'
import type { Runtime } from './runtime.js'

/**
 * `candor audit report [--out report.html]` (issue 20): runs the fairness, privacy and security audits
 * now, keeps the report like the server's scheduled run does, and writes it as one self-contained HTML
 * file (charts as inline SVG) beside what changed since the previous report and the impact assessment.
 * The reviews code is imported inside the command, like every other heavy part of the CLI.
 */
export function auditReportCommand(
  audit: Command,
  withRuntime: (fn: (runtime: Runtime) => Promise<number | void>) => Promise<void>,
): void {
  audit
    .command('report')
    .description(
      'run the fairness, privacy and security audits now, keep the report and write it as one HTML file that opens offline',
    )
    .option('--out <file>', 'where to write the HTML report', 'report.html')
    .option('--json', 'print the report as JSON on stdout instead of writing HTML')
    .action((options: { out: string; json?: boolean }) =>
      withRuntime(async (runtime) => {
        const { writeFile } = await import('node:fs/promises')
        const { reviews } = runtime.services
        const report = await reviews.runAndStore()
        if (options.json === true) {
          process.stdout.write(`${JSON.stringify(report, null, 2)}\n`)
          return
        }
        const latest = await reviews.latestHtml()
        if (latest === undefined) throw new Error('the report just kept was not found')
        await writeFile(options.out, latest.html)
        const bySeverity = (s: string) => report.findings.filter((f) => f.severity === s).length
        process.stdout.write(
          `audit report ${report.id} written to ${options.out}: ${bySeverity('problem')} problems, ${bySeverity('warning')} warnings, ${report.charts.length} charts\n`,
        )
      }),
    )
}
