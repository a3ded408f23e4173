/**
 * One size on one database of `bench:scale` (`bench/scale-shop.ts`): consents, `candor import orders`,
 * `candor train` (under `/usr/bin/time -v` for its peak memory), `candor start` loaded with distinct
 * shoppers for p99, one erasure. Each Candor step is a process of its own, as a shop would run it.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { openRuntime } from '../../src/main/runtime.js'
import { noticeVersionOf } from '../../src/modules/charter/index.js'
import { modelRepository } from '../../src/modules/recommend/model.repository.js'
import { freePort, load, startServer } from './load.js'
import type { ScaleShop } from './scale-shop-file.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const PERSONAL = 'personalize.recommendations'
const ACTOR = { kind: 'cli' as const, command: 'bench:scale' }

export interface ScaleShopRow {
  scale: number
  database: string
  /** Customers in the shop (two in three consenting). */
  shoppers: number
  /** Events `candor import orders` stored. */
  events: number
  /** Items in the shop's catalog. */
  items: number
  importEventsPerSecond: number
  importSeconds: number
  /** Recording the consents, in process (not part of the import's rate). */
  consentSeconds: number
  trainEvents: number
  trainShoppers: number
  trainSeconds: number
  peakRssMB: number
  modelMB: number
  serveP99Ms: number
  serveP50Ms: number
  serveRequestsPerSecond: number
  erasureMs: number
  erasureStatus: string
}

export interface ScaleShopRun {
  scale: number
  database: string
  url: string
  dir: string
  file: string
  shop: ScaleShop
  seconds: number
  log: (message: string) => void
}

function envOf(run: ScaleShopRun): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {
    ...process.env,
    CANDOR_DATA_DIR: run.dir,
    CANDOR_DATABASE_URL: run.url,
    CANDOR_CHARTER_FILE: path.join(root, 'candor.charter.yaml'),
    CANDOR_LOG_LEVEL: 'warn',
    CANDOR_DEMO: 'off',
    CANDOR_RATE_LIMIT_PER_MINUTE: '10000000',
    // The server serves what `candor train` stored and never trains itself.
    CANDOR_TRAIN_INTERVAL_MINUTES: '0',
  }
  delete env.CANDOR_TEST_DATABASE_URL
  delete env.CANDOR_BENCH_DATABASE_URL
  return env
}

/** Runs `command` to its end; answers its stdout and stderr (stderr also passed on when `echo`). */
async function runChild(
  command: string,
  argv: string[],
  env: Record<string, string | undefined>,
): Promise<{ out: string; err: string }> {
  const child = spawn(command, argv, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk))
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
  if (code !== 0) throw new Error(`${argv.join(' ')} exited with ${code}: ${err.slice(-800)}`)
  return { out, err }
}

const CLI = ['--import', 'tsx', path.join(root, 'src/main/cli.ts')]

/** Migrates, records the consents and creates the keys. */
async function prepare(
  run: ScaleShopRun,
): Promise<{ keys: Record<string, string>; seconds: number }> {
  const runtime = await openRuntime(envOf(run), { logDestination: 2, logLevel: 'warn' })
  try {
    const { services } = runtime
    const started = performance.now()
    const noticeVersion = noticeVersionOf(services.charter)
    for (const { ref, consents } of run.shop.refs) {
      if (!consents) continue
      const subjectId = await services.identity.ensureSubjectId(ref)
      await services.consent.recordChange(
        subjectId,
        PERSONAL,
        { decision: 'granted', method: 'import', noticeVersion },
        { jurisdiction: 'UK' },
        ACTOR,
      )
    }
    const seconds = (performance.now() - started) / 1000
    const keys: Record<string, string> = {}
    for (const role of ['storefront', 'privacy_officer'] as const)
      keys[role] = (await services.auth.createApiKey(role, 'bench:scale', ACTOR)).key
    return { keys, seconds }
  } finally {
    await runtime.close()
  }
}

async function importOrders(run: ScaleShopRun): Promise<{ events: number; seconds: number }> {
  const started = performance.now()
  const { out } = await runChild(
    process.execPath,
    [
      ...CLI,
      'import',
      'orders',
      run.file,
      '--basis',
      'legitimate_interest',
      '--jurisdiction',
      'UK',
    ],
    envOf(run),
  )
  const seconds = (performance.now() - started) / 1000
  const stored = /stored: (\d+)/.exec(out)
  if (stored === null) throw new Error(`candor import orders said: ${out.slice(-400)}`)
  return { events: Number(stored[1]), seconds }
}

async function train(run: ScaleShopRun) {
  const started = performance.now()
  const { out, err } = await runChild(
    '/usr/bin/time',
    ['-v', process.execPath, ...CLI, 'train'],
    envOf(run),
  )
  const seconds = (performance.now() - started) / 1000
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(err)
  const trained = /trained on (\d+) events from (\d+) shoppers/.exec(out)
  if (rss === null || trained === null) throw new Error(`candor train said: ${out.slice(-400)}`)
  const runtime = await openRuntime(envOf(run), { logDestination: 2, logLevel: 'warn' })
  let bytes = 0
  try {
    bytes = (await modelRepository.newestVersion(runtime.services.storage.db))?.size ?? 0
  } finally {
    await runtime.close()
  }
  return {
    seconds,
    peakRssMB: Math.round(Number(rss[1]) / 1024),
    events: Number(trained[1]),
    shoppers: Number(trained[2]),
    modelMB: bytes / 2 ** 20,
  }
}

/** Waits until the server answers the shopper personally (its model loaded). */
async function untilPersonal(port: number, auth: Record<string, string>, ref: string) {
  for (let waited = 0; waited < 30 * 60_000; waited += 500) {
    const response = await fetch(
      `http://127.0.0.1:${port}/v1/recommendations?subject=${ref}&limit=10`,
      { headers: auth },
    )
    const body = (await response.json()) as { level?: string }
    if (body.level === 'personal') return
    await new Promise((resolve) => setTimeout(resolve, 500))
  }
  throw new Error('the server did not answer personally within 30 minutes')
}

/** Serves, loads with distinct shoppers, then erases the heaviest customer. */
async function serveAndErase(run: ScaleShopRun, keys: Record<string, string>) {
  const children: ChildProcess[] = []
  const port = await freePort()
  try {
    const server = await startServer(
      { dir: run.dir, children },
      envOf(run),
      'candor',
      [...CLI, 'start'],
      { CANDOR_PORT: String(port), CANDOR_LOG_LEVEL: 'info', CANDOR_WORKERS: '1' },
      [[/Candor is serving/g, 1]],
    )
    const storefront = { authorization: `Bearer ${keys.storefront}` }
    await untilPersonal(port, storefront, run.shop.heaviest)
    const paths = run.shop.refs
      .filter((r) => r.consents && r.ref !== run.shop.heaviest)
      .map((r) => `/v1/recommendations?subject=${r.ref}&limit=10`)
    run.log(`${run.scale}x ${run.database}: loading for ${run.seconds} s ...`)
    const served = await load(
      { connections: 10, seconds: run.seconds, auth: storefront },
      server,
      port,
      paths,
      { next: 0 },
    )
    run.log(`${run.scale}x ${run.database}: erasing ...`)
    const started = performance.now()
    const response = await fetch(`http://127.0.0.1:${port}/v1/rights-requests`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${keys.privacy_officer}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ type: 'erasure', subject: run.shop.heaviest, jurisdiction: 'UK' }),
    })
    const erasureMs = Math.round(performance.now() - started)
    const status =
      ((await response.json()) as { status?: string }).status ?? `HTTP ${response.status}`
    return { served, erasureMs, status }
  } finally {
    for (const child of children) {
      if (child.exitCode !== null || child.signalCode !== null) continue
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      await exited
    }
  }
}

/** Runs every step for one size on one database; answers its row. */
export async function runScaleShop(run: ScaleShopRun): Promise<ScaleShopRow> {
  const label = `${run.scale}x ${run.database}`
  run.log(`${label}: recording consents ...`)
  const { keys, seconds: consentSeconds } = await prepare(run)
  run.log(`${label}: candor import orders ...`)
  const imported = await importOrders(run)
  run.log(
    `${label}: ${imported.events} events in ${imported.seconds.toFixed(0)} s; candor train ...`,
  )
  const trained = await train(run)
  run.log(`${label}: trained in ${trained.seconds.toFixed(0)} s; candor start ...`)
  const { served, erasureMs, status } = await serveAndErase(run, keys)
  const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits
  return {
    scale: run.scale,
    database: run.database,
    shoppers: run.shop.customers,
    events: imported.events,
    items: run.shop.items,
    importEventsPerSecond: Math.round(imported.events / imported.seconds),
    importSeconds: round(imported.seconds),
    consentSeconds: round(consentSeconds),
    trainEvents: trained.events,
    trainShoppers: trained.shoppers,
    trainSeconds: round(trained.seconds),
    peakRssMB: trained.peakRssMB,
    modelMB: round(trained.modelMB),
    serveP99Ms: served.p99ms,
    serveP50Ms: served.p50ms,
    serveRequestsPerSecond: served.requestsPerSecond,
    erasureMs,
    erasureStatus: status,
  }
}
