import type { Command } from 'commander'
import type { Runtime } from './runtime.js'

/**
 * `candor offers send --touchpoint offers_email` (issue 21): prepares one message per consenting subject
 * through the outbox, as `POST /v1/offers/sends` does, with a progress bar on stderr and the counts on
 * stdout (nobody named). The offers code is imported inside the command, like every heavy part of the CLI.
 */
export function offersCommands(
  program: Command,
  withRuntime: (fn: (runtime: Runtime) => Promise<number | void>) => Promise<void>,
): void {
  const offers = program.command('offers').description('offers and content staff define')
  offers
    .command('send')
    .description(
      'prepare one offer e-mail per consenting subject (grant on record, within the frequency cap) in the outbox, each with a one-click unsubscribe link',
    )
    .requiredOption('--touchpoint <key>', 'a charter touchpoint whose channel is email')
    .option('--json', 'print the counts as JSON')
    .action((options: { touchpoint: string; json?: boolean }) =>
      withRuntime(async (runtime) => {
        const { createProgressBar } = await import('./progress.js')
        const bar = createProgressBar('offers send')
        const counts = await runtime.services.offerMail
          .send(options.touchpoint, { kind: 'cli', command: 'offers send' }, (done, total) =>
            bar.update(done, total),
          )
          .finally(() => bar.stop())
        if (options.json === true) {
          process.stdout.write(`${JSON.stringify(counts, null, 2)}\n`)
          return
        }
        process.stdout.write(
          `${counts.prepared} messages prepared at ${counts.touchpoint} for ${counts.candidates} subjects with a grant on record (${counts.capped} over the frequency cap, ${counts.noOffer} with no eligible offer, ${counts.noAddress} without an address)\n`,
        )
      }),
    )
}
