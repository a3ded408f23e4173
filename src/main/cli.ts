#!/usr/bin/env node
import cluster from 'node:cluster'
import { Command, InvalidArgumentError } from 'commander'
import { ConfigError, parseConfig } from '../config.js'
import { AppError } from '../lib/errors.js'
import { ROLES, type Role } from '../modules/auth/index.js'
import { checkCharterFile, formatCharterCheck } from '../modules/charter/index.js'
import { KeyFileError, addMasterKey } from '../modules/identity/index.js'
import { type LegalBasis, LegalBasisSchema } from '../modules/charter/index.js'
import { type ImportSummary, importOrders } from '../modules/events/index.js'
import { type Progress, createProgressBar } from './progress.js'
import { type Runtime, openRuntime } from './runtime.js'
import { startServer } from './server.js'
import { runPrimary } from './workers.js'

/** Runs `fn` with a runtime whose logs go to stderr, so stdout carries only the command's result. */
async function withRuntime(fn: (runtime: Runtime) => Promise<number | void>): Promise<void> {
  const runtime = await openRuntime(process.env, { logDestination: 2, logLevel: 'warn' })
  try {
    const code = await fn(runtime)
    process.exitCode = code ?? 0
  } finally {
    await runtime.close()
  }
}

function parseRole(value: string): Role {
  if (!(ROLES as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`expected one of ${ROLES.join(', ')}`)
  }
  return value as Role
}

const CLI_ACTOR = (command: string) => ({ kind: 'cli' as const, command })

export function buildCli(): Command {
  const program = new Command('candor')
    .description('Candor: privacy-first personalization for online retailers')
    .showHelpAfterError()

  program
    .command('start')
    .description('run migrations, then serve the HTTP API, pages and background jobs')
    .action(async () => {
      const runtime = await openRuntime(process.env)
      if (runtime.config.workers > 1 && cluster.isPrimary) {
        process.exitCode = await runPrimary(runtime, runtime.config.workers)
        return
      }
      await startServer(runtime)
    })

  program
    .command('migrate')
    .description('bring the database schema up to date (safe to run again)')
    .action(() =>
      withRuntime(async () => {
        process.stdout.write('database is up to date\n')
      }),
    )

  const keys = program.command('keys').description('manage API keys')
  keys
    .command('create')
    .description('create an API key and print it, alone on stdout, once')
    .requiredOption('--role <role>', `one of ${ROLES.join(', ')}`, parseRole)
    .option('--name <name>', 'a label to recognise the key by', 'created from the command line')
    .action((options: { role: Role; name: string }) =>
      withRuntime(async (runtime) => {
        const { key, info } = await runtime.services.auth.createApiKey(
          options.role,
          options.name,
          CLI_ACTOR('keys create'),
        )
        process.stdout.write(`${key}\n`)
        process.stderr.write(`created ${info.role} key ${info.id}; it will not be shown again\n`)
      }),
    )
  keys
    .command('list')
    .description('list API keys (ids, roles, names; never secrets)')
    .action(() =>
      withRuntime(async (runtime) => {
        for (const key of await runtime.services.auth.listApiKeys()) {
          const state = key.revokedAt === null ? 'active' : `revoked ${key.revokedAt}`
          process.stdout.write(`${key.id}\t${key.role}\t${state}\t${key.name}\n`)
        }
      }),
    )
  keys
    .command('revoke')
    .description('revoke an API key by id')
    .argument('<id>', 'the key id (key_...)')
    .action((id: string) =>
      withRuntime(async (runtime) => {
        await runtime.services.auth.revokeApiKey(id, CLI_ACTOR('keys revoke'))
        process.stdout.write(`revoked ${id}\n`)
      }),
    )

  keys
    .command('rotate')
    .description('add a new vault master key and re-wrap every data key under it (no downtime)')
    .action(() =>
      withRuntime(async (runtime) => {
        const keyId = addMasterKey(runtime.config.keyFile)
        const bar = createProgressBar('re-wrapping data keys')
        const done = await runtime.services.identity.rewrapVault((n, total) => bar.update(n, total))
        bar.stop()
        await runtime.services.audit.recordNow({
          actor: CLI_ACTOR('keys rotate'),
          action: 'vault.master_key_rotated',
          details: { masterKeyId: keyId, rewrapped: done },
        })
        process.stdout.write(`master key ${keyId} is active; ${done} data keys re-wrapped\n`)
      }),
    )

  program
    .command('train')
    .description('train the item model from consented histories now, with a progress bar')
    .action(() =>
      withRuntime(async (runtime) => {
        // Two bars: the events read (their number is known only at the end), then the model's
        // training and tuning (in a worker thread), step by step.
        const reading = createProgressBar('reading events')
        let training: Progress | undefined
        const run = await runtime.services.recommend.train((stage, done, total) => {
          if (stage === 'events') reading.update(done, Math.max(total, done))
          if (stage !== 'model') return
          if (training === undefined) {
            reading.stop()
            training = createProgressBar('training')
          }
          training.update(done, total)
        })
        if (training === undefined) reading.stop()
        else training.stop()
        await runtime.services.audit.recordNow({
          actor: CLI_ACTOR('train'),
          action: 'recommend.trained',
          details: { events: run.events },
        })
        process.stdout.write(
          `trained on ${run.events} events from ${run.subjects} shoppers, ${run.items} items, in ${run.seconds} s\n`,
        )
      }),
    )

  const imports = program
    .command('import')
    .description('load offline data through the privacy gate')
  imports
    .command('orders')
    .description(
      'import offline or in-store orders (UCI Online Retail CSV, .gz too) as purchase events; resumable',
    )
    .argument('<file>', 'the CSV file')
    .requiredOption(
      '--basis <basis>',
      `the lawful basis the shop declares for these orders: ${LegalBasisSchema.options.join(', ')}`,
      parseBasis,
    )
    .option('--jurisdiction <code>', 'where the customers are, as a charter jurisdiction code')
    .option('--currency <code>', 'the currency of UnitPrice', 'GBP')
    .option('--resume', 'continue an interrupted import of this file from its checkpoint')
    .option(
      '--restart',
      'ignore any checkpoint and read the file from the start (never duplicates)',
    )
    .action(
      (
        file: string,
        options: {
          basis: LegalBasis
          jurisdiction?: string
          currency: string
          resume?: boolean
          restart?: boolean
        },
      ) =>
        withRuntime(async (runtime) => {
          const { services } = runtime
          const bar = createProgressBar('importing orders')
          // Ctrl-C: finish the chunk in progress, keep the checkpoint, stop.
          const controller = new AbortController()
          const onSigint = () => controller.abort()
          process.once('SIGINT', onSigint)
          let summary: ImportSummary
          try {
            summary = await importOrders(
              { events: services.events, catalog: services.catalog, charter: services.charter },
              {
                file,
                basis: options.basis,
                currency: options.currency,
                actor: CLI_ACTOR('import orders'),
                signal: controller.signal,
                onProgress: (done, total) => bar.update(done, total),
                ...(options.jurisdiction === undefined
                  ? {}
                  : { jurisdiction: options.jurisdiction }),
                ...(options.resume === true ? { resume: true } : {}),
                ...(options.restart === true ? { restart: true } : {}),
              },
            )
          } finally {
            bar.stop()
            process.removeListener('SIGINT', onSigint)
          }
          process.stdout.write(formatImportSummary(summary))
          return summary.completed ? 0 : 130
        }),
    )

  const retention = program.command('retention').description('delete records past their expiry')
  retention
    .command('run')
    .description('delete every expired record now, in every module, with one audit entry')
    .action(() =>
      withRuntime(async (runtime) => {
        const report = await runtime.services.retention.run(CLI_ACTOR('retention run'))
        const parts = Object.entries(report.deleted).flatMap(([module, counts]) =>
          Object.entries(counts).map(([kind, n]) => `${module}.${kind} ${n}`),
        )
        process.stdout.write(
          `retention: ${report.total} expired records deleted${parts.length > 0 ? ` (${parts.join(', ')})` : ''}\n`,
        )
      }),
    )

  const charter = program.command('charter').description('the data charter (policy as code)')
  charter
    .command('check')
    .description(
      'validate a charter file; prints file:line:column and the rule broken for each problem',
    )
    .argument('[file]', 'the charter file (default: CANDOR_CHARTER_FILE or ./candor.charter.yaml)')
    .action(async (file: string | undefined) => {
      const target = file ?? parseConfig(process.env).charterFile
      const check = await checkCharterFile(target)
      process.stdout.write(`${formatCharterCheck(check)}\n`)
      process.exitCode = check.ok ? 0 : 1
    })

  const audit = program.command('audit').description('the tamper-evident audit log')
  audit
    .command('verify')
    .description('recompute the hash chain; exit 1 and name the first broken entry if any')
    .action(() =>
      withRuntime(async (runtime) => {
        const result = await runtime.services.audit.verify()
        if (result.ok) {
          process.stdout.write(
            `audit chain intact: ${result.entries} entries, head ${result.headHash}\n`,
          )
          return 0
        }
        process.stdout.write(
          `audit chain BROKEN at entry ${result.firstBrokenSeq}: ${result.reason} (${result.entries} entries verified before it)\n`,
        )
        return 1
      }),
    )

  return program
}

function parseBasis(value: string): LegalBasis {
  if (!(LegalBasisSchema.options as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`expected one of ${LegalBasisSchema.options.join(', ')}`)
  }
  return value as LegalBasis
}

function formatImportSummary(summary: ImportSummary): string {
  if (summary.alreadyImported) {
    return `this file was already imported completely (${summary.stored} events stored); use --restart to read it again\n`
  }
  const reasons = Object.entries(summary.reasons)
    .sort((a, b) => b[1] - a[1])
    .map(([reason, n]) => `  refused ${reason}: ${n}\n`)
    .join('')
  const where = summary.resumedFrom > 0 ? ` (resumed after line ${summary.resumedFrom})` : ''
  const state = summary.completed
    ? 'import complete'
    : `import interrupted after line ${summary.linesDone}: run again with --resume to continue`
  return (
    `${state}${where}: ${summary.linesDone}/${summary.totalLines} lines\n` +
    `  stored: ${summary.stored}\n  duplicate: ${summary.duplicate}\n  refused: ${summary.refused}\n` +
    reasons +
    `  catalog items upserted: ${summary.items}\n`
  )
}

function explain(error: unknown): string {
  if (error instanceof ConfigError) return `configuration error: ${error.message}`
  if (error instanceof AppError && error.code === 'charter_invalid') {
    const lines = (error.issues ?? []).map((i) => `  ${i.field}: ${i.reason}`)
    return [`the data charter is not valid: ${error.message}`, ...lines].join('\n')
  }
  if (error instanceof KeyFileError) return `key file error: ${error.message}`
  if (error instanceof AppError) return `${error.code}: ${error.message}`
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? ` (${error.cause.message})` : ''
    return `${error.message}${cause}`
  }
  return String(error)
}

buildCli()
  .parseAsync(process.argv)
  .catch((error: unknown) => {
    process.stderr.write(`candor: ${explain(error)}\n`)
    process.exit(1)
  })
