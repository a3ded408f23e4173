import cluster, { type Worker } from 'node:cluster'
import { AggregatorRegistry, type Registry } from 'prom-client'
import type { Logger } from 'pino'
import { isLoopback } from '../config.js'
import { ensureDemoStaffKey, seedDemo } from '../modules/demo/index.js'
import { pageAddresses, servingMessage } from './addresses.js'
import type { Runtime } from './runtime.js'

/**
 * `candor start` with CANDOR_WORKERS above 1: this process (the primary) serves nothing itself. It
 * migrates and seeds the demo shop once, then runs that many server processes (node:cluster) sharing the
 * port, replaces one that dies, answers their `/metrics` with the sum over all of them, and stops them
 * all on SIGINT or SIGTERM.
 *
 * What the workers share is the database: each keeps its own copies and its own model in memory, and
 * learns of the others' writes as of any other process's (see `ChangeFeed`). The model is trained by one
 * worker at a time (the training lease, `src/modules/recommend/model.lease.ts`) and stored in the
 * database; the others load the stored version (at start, and within seconds of a newer one).
 */

/** Set in a worker's environment: its number, from 1. */
export const WORKER_VARIABLE = 'CANDOR_WORKER'

const METRICS = 'candor:metrics'
/**
 * A worker trained and stored a model on request (`POST /v1/admin/train`): the primary tells the others,
 * which load it now instead of on their next look (they never train for it).
 */
const MODEL_STORED = 'candor:model-stored'

interface MetricsMessage {
  type: typeof METRICS
  id: number
  text?: string
  error?: string
}

/** Whether an IPC message is one of ours of this type (other modules, prom-client, send their own). */
function isMessage(message: unknown, type: typeof METRICS | typeof MODEL_STORED): boolean {
  return (
    typeof message === 'object' && message !== null && (message as { type?: unknown }).type === type
  )
}

function isMetricsMessage(message: unknown): message is MetricsMessage {
  return isMessage(message, METRICS)
}

/** In a worker: tells every other worker that this one just stored a newly trained model. */
export function announceModelStored(): void {
  process.send!({ type: MODEL_STORED })
}

/** In a worker: `load` runs when another worker stored a new model (it should load it, not train). */
export function onModelStoredElsewhere(load: () => void): void {
  process.on('message', (message: unknown) => {
    if (isMessage(message, MODEL_STORED)) load()
  })
}

/** Runs the primary until its workers have stopped; resolves with the exit code. */
export async function runPrimary(runtime: Runtime, workers: number): Promise<number> {
  const { logger, config } = runtime
  if (config.demo) await prepareDemo(runtime)
  // The workers open the database themselves; the primary holds no connection while they serve.
  await runtime.close()

  const aggregator = new AggregatorRegistry()
  /** Each running worker's number and whether it has listened on the port yet. */
  const running = new Map<Worker, { n: number; listened: boolean }>()
  let stopping = false
  let code = 0
  let listening = 0

  const fork = (n: number) => {
    const worker = cluster.fork({ [WORKER_VARIABLE]: String(n) })
    running.set(worker, { n, listened: false })
    worker.on('message', (message: unknown) =>
      answerWorker(worker, message, running.keys(), aggregator),
    )
    worker.once('listening', () => {
      const state = running.get(worker)
      if (state !== undefined) state.listened = true
      listening += 1
      if (listening === workers) {
        const pages = pageAddresses(config.host, config.port, config.demo, config.tls !== undefined)
        logger.info(
          { port: config.port, host: config.host, workers, ...pages },
          servingMessage(
            `Candor is serving with ${workers} worker processes on ${pages.base}`,
            pages,
          ),
        )
      }
    })
  }

  const done = new Promise<void>((resolve) => {
    cluster.on('exit', (worker, exitCode, signal) => {
      const { n, listened } = running.get(worker)!
      running.delete(worker)
      if (!stopping) {
        // One that never listened cannot start (port taken, database unreachable, bad config): starting
        // another would fail the same way, so stop. How long it took says nothing on a busy machine.
        if (!listened) {
          logger.error({ worker: n, exitCode, signal }, 'a worker died while starting: stopping')
          code = 1
          stop('worker failed')
        } else {
          logger.error({ worker: n, exitCode, signal }, 'a worker died: starting another')
          fork(n)
        }
      } else if (exitCode !== 0) {
        // It did not stop cleanly (its shutdown failed, or it was killed): so says the server's exit code.
        logger.error({ worker: n, exitCode, signal }, 'a worker did not stop cleanly')
        code = 1
      }
      if (running.size === 0) resolve()
    })
  })

  function stop(reason: string) {
    if (stopping) return
    stopping = true
    logger.info({ reason }, 'shutting down the workers')
    for (const worker of running.keys()) worker.process.kill('SIGTERM')
  }
  process.on('SIGINT', () => stop('SIGINT'))
  process.on('SIGTERM', () => stop('SIGTERM'))

  for (let n = 1; n <= workers; n += 1) fork(n)
  await done
  await flushLog(logger)
  return code
}

/**
 * A worker's message to the primary: news of a stored model goes on to every other worker; a metrics
 * request gets the whole cluster's metrics back.
 */
function answerWorker(
  worker: Worker,
  message: unknown,
  workers: Iterable<Worker>,
  aggregator: { clusterMetrics(): Promise<string> },
): void {
  if (isMessage(message, MODEL_STORED)) {
    for (const other of workers) if (other !== worker) other.send({ type: MODEL_STORED })
    return
  }
  if (!isMetricsMessage(message)) return
  aggregator.clusterMetrics().then(
    (text) => worker.send({ type: METRICS, id: message.id, text }),
    (error: unknown) =>
      worker.send({
        type: METRICS,
        id: message.id,
        error: error instanceof Error ? error.message : String(error),
      }),
  )
}

/** Once, before serving: the demo shop's rows (on an empty database) and the staff key file. */
export async function prepareDemo(runtime: Runtime): Promise<void> {
  const report = await seedDemo(runtime.services)
  if (report.seeded) runtime.logger.info(report, 'demo: seeded the database with the demo shop')
  const keyFile = await ensureDemoStaffKey(runtime.services, runtime.config.dataDir)
  runtime.logger.info(
    { keyFile, demoReason: runtime.config.demoReason },
    'demo mode is on (CANDOR_DEMO=off for production): a staff API key for /console is in keyFile',
  )
  if (!isLoopback(runtime.config.host)) {
    runtime.logger.warn(
      { host: runtime.config.host },
      'DEMO MODE ON A NETWORK ADDRESS: anyone who can reach this host gets shopper tokens from /demo/* and sees fake shoppers; set CANDOR_DEMO=off unless this is a demo',
    )
  }
}

function flushLog(logger: Logger): Promise<void> {
  return new Promise((resolve) => logger.flush(() => resolve()))
}

/** This process's worker number (from 1), or undefined when it is not a worker. */
export function workerNumber(): number | undefined {
  if (!cluster.isWorker) return undefined
  const n = Number(process.env[WORKER_VARIABLE])
  return Number.isInteger(n) && n > 0 ? n : undefined
}

/**
 * In a worker: makes `local` (this worker's registry) what it answers when the primary asks every worker
 * for its figures, and answers the reader of `/metrics` with all of them, summed by the primary (a
 * request counter then counts every worker's requests, whichever worker Prometheus reached).
 */
export function workerMetrics(local: Registry): () => Promise<string> {
  AggregatorRegistry.setRegistries([local])
  // Constructing one is what makes prom-client answer the primary's requests in a worker.
  new AggregatorRegistry()
  const pending = new Map<number, (message: MetricsMessage) => void>()
  let next = 0
  process.on('message', (message: unknown) => {
    if (isMetricsMessage(message)) pending.get(message.id)?.(message)
  })
  return () => {
    const id = next++
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id)
        reject(new Error('the primary process did not answer with the metrics in time'))
      }, 10_000)
      pending.set(id, (message) => {
        clearTimeout(timer)
        pending.delete(id)
        if (message.text !== undefined) resolve(message.text)
        else reject(new Error(`metrics: ${message.error ?? 'no answer'}`))
      })
      process.send!({ type: METRICS, id })
    })
  }
}
