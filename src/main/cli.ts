#!/usr/bin/env node
import fs from 'node:fs'
import path from 'node:path'
import { Command, InvalidArgumentError } from 'commander'
import type { LegalBasis } from '../modules/charter/index.js'
import type { ImportSummary } from '../modules/events/index.js'
import { packageRoot } from '../lib/package-root.js'
import { ROLES, type Role } from '../modules/auth/index.js'
import { cleanroomCommands } from './cli.cleanroom.js'
import { auditReportCommand } from './cli.reviews.js'
import { offersCommands } from './cli.offers.js'
import type { Progress } from './progress.js'
import type { Runtime } from './runtime.js'

// Every heavy module (the server, storage, the modules' services) is imported inside the command that
// needs it, so `candor --help`, `--version` and `charter check` start in a fraction of a second.

/** Runs `fn` with a runtime whose logs go to stderr, so stdout carries only the command's result. */
async function withRuntime(fn: (runtime: Runtime) => Promise<number | void>): Promise<void> {
  const { openRuntime } = await import('./runtime.js')
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

function packageVersion(): string {
  const file = path.join(packageRoot(), 'package.json')
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version
}

const CLI_ACTOR = (command: string) => ({ kind: 'cli' as const, command })

/** What the CLI knows before parsing: the lawful bases `import orders` accepts (from the charter). */
export interface CliContext {
  importBases?: readonly string[] | undefined
}

/**
 * The `candor` command line: one function per command group below, registered in the order `--help`
 * lists them.
 */
export function buildCli(context: CliContext = {}): Command {
  const program = new Command('candor')
    .description('Candor: privacy-first personalization for online retailers')
    .version(packageVersion(), '-V, --version', 'print the version of Candor')
    .showHelpAfterError()
  serverCommands(program)
  keysCommands(program)
  trainCommand(program)
  importCommands(program, context)
  retentionCommands(program)
  charterCommands(program)
  auditCommands(program)
  cleanroomCommands(program, process.env)
  offersCommands(program, withRuntime)
  return program
}

/** `start` and `migrate`. */
function serverCommands(program: Command): void {
  program
    .command('start')
    .description('run migrations, then serve the HTTP API, pages and background jobs')
    .action(async () => {
      const [{ default: cluster }, { openRuntime }, { runPrimary }, { startServer }] =
        await Promise.all([
          import('node:cluster'),
          import('./runtime.js'),
          import('./workers.js'),
          import('./server.js'),
        ])
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
}

/** `keys create|list|revoke|rotate`: API keys and the vault's master key. */
function keysCommands(program: Command): void {
  const keys = program.command('keys').description('manage API keys')
  keys
    .command('create')
    .description('create an API key and print it, alone on stdout, once')
    .requiredOption('--role <role>', `one of ${ROLES.join(', ')}`, parseRole)
    .option('--name <name>', 'a label to recognise the key by', 'created from the command line')
    .option(
      '--vendor <vendor>',
      'partner keys only: the charter vendor (one listing a clean-room purpose) the key acts for',
    )
    .action((options: { role: Role; name: string; vendor?: string }) =>
      withRuntime(async (runtime) => {
        const { key, info } = await runtime.services.auth.createApiKey(
          options.role,
          options.name,
          CLI_ACTOR('keys create'),
          { vendor: options.vendor },
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
        const keys = await runtime.services.auth.listApiKeys()
        if (keys.length === 0) {
          process.stderr.write(
            'no API keys yet: create one with `candor keys create --role <role>`\n',
          )
          return
        }
        process.stdout.write('ID\tROLE\tSTATE\tNAME\n')
        for (const key of keys) {
          const state = key.revokedAt === null ? 'active' : `revoked ${key.revokedAt}`
          const role = key.vendor === null ? key.role : `${key.role}:${key.vendor}`
          process.stdout.write(`${key.id}\t${role}\t${state}\t${key.name}\n`)
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
        const { addMasterKey } = await import('../modules/identity/index.js')
        const { createProgressBar } = await import('./progress.js')
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
}

/** `train`: the item model, now, with progress bars. */
function trainCommand(program: Command): void {
  program
    .command('train')
    .description(
      'train the item model from consented histories now (progress bars) and store it in the database, where every server loads it',
    )
    .action(() =>
      withRuntime(async (runtime) => {
        const { createProgressBar } = await import('./progress.js')
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
}

interface ImportOrdersOptions {
  basis: LegalBasis
  jurisdiction?: string
  currency: string
  resume?: boolean
  restart?: boolean
}

/** `import orders`: offline orders through the privacy gate, resumable. */
function importCommands(program: Command, context: CliContext): void {
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
      context.importBases === undefined
        ? 'the lawful basis the shop declares for these orders (one the charter gives a purpose covering purchase events)'
        : `the lawful basis the shop declares for these orders; the charter allows: ${context.importBases.join(', ')}`,
      (value: string) => parseBasis(value, context.importBases),
    )
    .option('--jurisdiction <code>', 'where the customers are, as a charter jurisdiction code')
    .option('--currency <code>', 'the currency of UnitPrice', 'GBP')
    .option('--resume', 'continue an interrupted import of this file from its checkpoint')
    .option(
      '--restart',
      'ignore any checkpoint and read the file from the start (never duplicates)',
    )
    .action((file: string, options: ImportOrdersOptions) =>
      withRuntime((runtime) => importOrdersNow(runtime, file, options)),
    )
}

/** Runs `import orders` (Ctrl-C keeps the checkpoint); exit 130 when interrupted. */
async function importOrdersNow(
  runtime: Runtime,
  file: string,
  options: ImportOrdersOptions,
): Promise<number> {
  const { importOrders } = await import('../modules/events/index.js')
  const { createProgressBar } = await import('./progress.js')
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
        ...(options.jurisdiction === undefined ? {} : { jurisdiction: options.jurisdiction }),
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
}

/** `retention run`. */
function retentionCommands(program: Command): void {
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
}

/** `charter check`: reads no database, so it starts fast. */
function charterCommands(program: Command): void {
  const charter = program.command('charter').description('the data charter (policy as code)')
  charter
    .command('check')
    .description(
      'validate a charter file; prints file:line:column and the rule broken for each problem',
    )
    .argument('[file]', 'the charter file (default: CANDOR_CHARTER_FILE or ./candor.charter.yaml)')
    .action(async (file: string | undefined) => {
      const { parseConfig } = await import('../config.js')
      const { checkCharterFile, formatCharterCheck } = await import('../modules/charter/index.js')
      const target = file ?? parseConfig(process.env).charterFile
      const check = await checkCharterFile(target)
      process.stdout.write(`${formatCharterCheck(check)}\n`)
      process.exitCode = check.ok ? 0 : 1
    })
}

interface AuditVerifyOptions {
  checkpoint?: string
  entry?: number
}

/** `audit checkpoint|verify`: the tamper-evident log. */
function auditCommands(program: Command): void {
  const audit = program
    .command('audit')
    .description(
      'the tamper-evident audit log (hash chain, Merkle tree, signed checkpoints) and the audit reports',
    )
  audit
    .command('checkpoint')
    .description(
      'sign a checkpoint of the log as it is now (when it grew) and print the latest: keep or publish it',
    )
    .option('--json', 'print JSON (origin, treeSize, rootHash, timestamp, note, publicKey)')
    .option('--public-key', "print this log's verifier keys instead, the active one first")
    .action((options: { json?: boolean; publicKey?: boolean }) =>
      withRuntime(async (runtime) => {
        if (options.publicKey === true) {
          process.stdout.write(`${runtime.services.audit.verifierKeys().join('\n')}\n`)
          return
        }
        const checkpoint = await runtime.services.audit.checkpoint()
        process.stdout.write(
          options.json === true ? `${JSON.stringify(checkpoint, null, 2)}\n` : checkpoint.note,
        )
      }),
    )
  audit
    .command('verify')
    .description(
      'recompute the hash chain and the Merkle tree, check every signed checkpoint (and a saved one): exit 1 on tampering',
    )
    .option(
      '--checkpoint <file>',
      'a checkpoint saved earlier (the note or the JSON of `candor audit checkpoint`): prove the log only grew since',
    )
    .option('--entry <seq>', 'also prove that this entry is in the log', parseSeq)
    .action((options: AuditVerifyOptions) =>
      withRuntime((runtime) => verifyAudit(runtime, options)),
    )
  auditReportCommand(audit, withRuntime)
}

/** Runs `audit verify`: exit 1 when the chain or the tree does not hold. */
async function verifyAudit(runtime: Runtime, options: AuditVerifyOptions): Promise<number> {
  const { readFile } = await import('node:fs/promises')
  const { noteFromSaved } = await import('../modules/audit/index.js')
  const saved =
    options.checkpoint === undefined
      ? undefined
      : noteFromSaved(await readFile(options.checkpoint, 'utf8'))
  const chain = await runtime.services.audit.verify()
  if (chain.ok) {
    process.stdout.write(`audit chain intact: ${chain.entries} entries, head ${chain.headHash}\n`)
  } else {
    process.stdout.write(
      `audit chain BROKEN at entry ${chain.firstBrokenSeq}: ${chain.reason} (${chain.entries} entries verified before it)\n`,
    )
  }
  const tree = await runtime.services.audit.verifyTree({
    ...(saved === undefined ? {} : { checkpoint: saved }),
    ...(options.entry === undefined ? {} : { entrySeq: options.entry }),
  })
  const lines = tree.ok
    ? [
        `audit tree intact: ${tree.entries} entries, root ${tree.rootHash}, ${tree.checkpointsChecked} signed checkpoints match`,
      ]
    : [`audit tree TAMPERED:`, ...tree.problems.map((problem) => `  - ${problem}`)]
  if (tree.checkpoint?.consistent === true) {
    lines.push(
      `consistent with the saved checkpoint: size ${tree.checkpoint.treeSize}, signed ${tree.checkpoint.timestamp}; the log only grew since`,
    )
  }
  if (tree.inclusion !== undefined) {
    const { seq, leafIndex, treeSize, proofLength, ok } = tree.inclusion
    lines.push(
      ok
        ? `entry ${seq} is included: leaf ${leafIndex} of ${treeSize}, inclusion proof of ${proofLength} hashes holds`
        : `entry ${seq} is NOT proven included in the tree of ${treeSize} entries`,
    )
  }
  process.stdout.write(`${lines.join('\n')}\n`)
  return chain.ok && tree.ok ? 0 : 1
}

function parseSeq(value: string): number {
  if (!/^[1-9][0-9]{0,9}$/.test(value))
    throw new InvalidArgumentError('expected an entry number (seq)')
  return Number(value)
}

function parseBasis(value: string, allowed: readonly string[] | undefined): LegalBasis {
  if (allowed !== undefined && !allowed.includes(value)) {
    throw new InvalidArgumentError(`the charter allows one of ${allowed.join(', ')}`)
  }
  return value as LegalBasis
}

/**
 * The bases `import orders --basis` accepts: those of the charter's purposes covering purchase events.
 * Undefined when the charter cannot be read (the import itself then names the problem).
 */
async function importBasesFromCharter(): Promise<readonly string[] | undefined> {
  try {
    const { parseConfig } = await import('../config.js')
    const { loadCharterFile } = await import('../modules/charter/index.js')
    const { importBases } = await import('../modules/events/index.js')
    return importBases(await loadCharterFile(parseConfig(process.env).charterFile))
  } catch {
    return undefined
  }
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

async function explain(error: unknown): Promise<string> {
  const [{ ConfigError }, { AppError }, { KeyFileError }] = await Promise.all([
    import('../config.js'),
    import('../lib/errors.js'),
    import('../modules/identity/index.js'),
  ])
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

async function main(argv: string[]): Promise<void> {
  // Only `import` lists the charter's bases (in its help and its check), so only it reads the charter first.
  const importBases = argv.includes('import') ? await importBasesFromCharter() : undefined
  await buildCli({ importBases }).parseAsync(argv)
}

main(process.argv).catch(async (error: unknown) => {
  process.stderr.write(`candor: ${await explain(error)}\n`)
  process.exit(1)
})
