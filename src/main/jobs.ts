import { startSchedule } from '../lib/schedule.js'
import type { Runtime } from './runtime.js'

const RIGHTS_EVERY_MS = 30_000

/**
 * The background work of a server process: rights-request jobs (resumed at start, so a crash mid-way
 * finishes), retraining the item model on the configured interval (and once at start), and retention
 * (expired records deleted every CANDOR_RETENTION_INTERVAL_MINUTES, and once at start; 0 turns it off).
 * `once: false` (every worker process but the first): only the model, which each process holds itself.
 * Every process signs audit checkpoints a few seconds after its own audit writes and once a minute (two
 * processes signing the same tree size store one).
 */
export function startBackgroundJobs(
  runtime: Runtime,
  { once }: { once: boolean },
): { stop(): Promise<void>; trainNow(): Promise<void> } {
  const { services, logger, config } = runtime
  const rights = once
    ? startSchedule(
        async () => {
          const done = await services.rights.processPending()
          if (done > 0) logger.info({ done }, 'rights requests processed')
        },
        RIGHTS_EVERY_MS,
        { onError: (err) => logger.error({ err }, 'rights job failed') },
      )
    : undefined
  const training = startSchedule(
    async () => {
      const run = await services.recommend.train()
      logger.info(
        { events: run.events, items: run.items, seconds: run.seconds },
        'item model trained',
      )
    },
    config.trainIntervalMinutes * 60_000,
    { onError: (err) => logger.error({ err }, 'training failed') },
  )
  const retentionMs = config.retentionIntervalMinutes * 60_000
  const retention =
    retentionMs === 0 || !once
      ? undefined
      : startSchedule(
          async () => {
            const report = await services.retention.run()
            logger.info({ deleted: report.deleted, total: report.total }, 'retention run')
          },
          retentionMs,
          { onError: (err) => logger.error({ err }, 'retention failed') },
        )
  const checkpoints = services.audit.startCheckpoints({
    onError: (err) => logger.error({ err }, 'audit checkpoint failed'),
  })
  void rights?.runNow()
  void training.runNow()
  void retention?.runNow()
  return {
    trainNow: () => training.runNow(),
    async stop() {
      await Promise.all([rights?.stop(), training.stop(), retention?.stop(), checkpoints.stop()])
    },
  }
}
