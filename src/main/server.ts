import { buildApp } from '../app.js'
import { pageAddresses, servingMessage } from './addresses.js'
import { startBackgroundJobs } from './jobs.js'
import type { Runtime } from './runtime.js'
import {
  announceModelStored,
  onModelStoredElsewhere,
  prepareDemo,
  workerMetrics,
  workerNumber,
} from './workers.js'

/**
 * Serves the HTTP API until SIGINT or SIGTERM, then stops taking requests, lets the ones in flight
 * finish, and closes the database. In a worker process (CANDOR_WORKERS above 1, see `runPrimary`) the
 * primary has already seeded the demo shop. Every process runs background jobs from the shared job
 * table (see `jobs.ts`), each job in one process at a time.
 */
export async function startServer(runtime: Runtime): Promise<void> {
  const worker = workerNumber()
  const { app } = await buildApp({
    services: runtime.services,
    logger: runtime.logger,
    requestLog: runtime.requestLog,
    ...(worker === undefined ? {} : { metrics: workerMetrics, retrainOthers: announceModelStored }),
  })
  const { port, host } = runtime.config
  // A worker's primary has done this already.
  if (runtime.config.demo && worker === undefined) await prepareDemo(runtime)
  // PostgreSQL: the month partitions of events ahead (each retention run makes them too), so that
  // events stored before the first run after an upgrade land in their month, not the default one.
  await runtime.services.events
    .prepareExpiry(runtime.services.clock.now())
    .catch((err: unknown) => runtime.logger.error({ err }, 'making event partitions failed'))
  await app.listen({ port, host })
  const pages = pageAddresses(host, port, runtime.config.demo, runtime.config.tls !== undefined)
  runtime.logger.info(
    {
      port,
      host,
      database: runtime.services.storage.dialect,
      ...pages,
      ...(worker ? { worker } : {}),
    },
    servingMessage(`Candor is serving on ${pages.base}`, pages),
  )
  const jobs = await startBackgroundJobs(runtime)
  // Another worker trained and stored a model on request: this one loads it now (it does not train).
  if (worker !== undefined) {
    onModelStoredElsewhere(() => {
      runtime.services.recommend.refreshModel().then(
        (loaded) => {
          if (loaded) runtime.logger.info('stored item model loaded')
        },
        (err: unknown) => runtime.logger.error({ err }, 'loading the stored item model failed'),
      )
    })
  }
  let stopping = false
  const stop = (signal: string) => {
    if (stopping) return
    stopping = true
    runtime.logger.info({ signal }, 'shutting down')
    void app
      .close()
      .then(() => jobs.stop())
      .then(() => runtime.close())
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        runtime.logger.error({ err: error }, 'shutdown failed')
        process.exit(1)
      })
  }
  // Not `once`: a worker may get both signals (Ctrl-C reaches the whole group, and the primary passes
  // SIGTERM on); a second signal must not kill it half-way through stopping.
  process.on('SIGINT', () => stop('SIGINT'))
  process.on('SIGTERM', () => stop('SIGTERM'))
}
