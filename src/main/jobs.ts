import type { Runtime } from './runtime.js'

/** How often the rights sweep looks for verified requests no process has taken up (and expired codes). */
const RIGHTS_SWEEP_EVERY_MS = 30_000
/** How often the audit log's tree is signed, covering every process's writes. */
const CHECKPOINT_EVERY_MS = 60_000
/** How often experiments count new outcomes and step their rollouts (guardrails checked each time). */
const EXPERIMENTS_EVERY_MS = 10 * 60_000

/**
 * The background work of a server process, run from the shared job table (`src/modules/jobs/`): any
 * process may run any due job, one at a time per job, under a lease it renews while it works; a process
 * that dies mid-job has it taken over by another within seconds, and a restarted one takes its own back
 * at once. The kinds:
 * - `rights.request`: one per verified rights request (defined by the rights module); `rights.sweep`
 *   every 30 s runs any of them nobody holds, and discards expired verification codes;
 * - `recommend.train`: retrains the item model every CANDOR_TRAIN_INTERVAL_MINUTES (at once on a new
 *   database), in one process at a time; 0 leaves it out: servers never train, `candor train` run on
 *   its own (cron, a machine of its own) stores the model they load;
 * - `retention`: deletes expired records every CANDOR_RETENTION_INTERVAL_MINUTES (0 turns it off);
 * - `reviews.audit`: runs the fairness, privacy and security audits every CANDOR_AUDIT_INTERVAL_HOURS
 *   (at once on a new database) and keeps the report; 0 leaves it out;
 * - `vendors.deliver`: sends the vendor outbox and deletion requests every
 *   CANDOR_VENDOR_DELIVERY_INTERVAL_SECONDS when a vendor destination is configured (0 leaves it out);
 * - `experiments.rollout`: every 10 minutes counts the outcomes of running experiments from real
 *   events and feedback, stops any whose guardrail broke (audited) and advances those whose stage has
 *   run its `stageHours`;
 * - `pricing.run`: every CANDOR_PRICING_INTERVAL_HOURS runs pricing as the console's "Run now" does
 *   (suggestions for every category with rules; in an `automatic` category they apply at once within
 *   the rules, each change audited, by `system:pricing.run`); its first run is one interval after the
 *   first start, never at start (a deploy is not a price change); 0 leaves it out;
 * - `audit.checkpoint`: signs the audit tree every minute. Each process also signs a few seconds after
 *   its own audit writes (two processes signing the same tree size store one).
 */
export async function startBackgroundJobs(runtime: Runtime): Promise<{ stop(): Promise<void> }> {
  const { services, logger, config } = runtime
  const { jobs } = services
  jobs.define({
    kind: 'rights.sweep',
    everyMs: RIGHTS_SWEEP_EVERY_MS,
    async run() {
      const done = await services.rights.processPending()
      if (done > 0) logger.info({ done }, 'rights requests processed')
    },
  })
  if (config.trainIntervalMinutes > 0) {
    jobs.define({
      kind: 'recommend.train',
      everyMs: config.trainIntervalMinutes * 60_000,
      async run() {
        const run = await services.recommend.train()
        logger.info(
          { events: run.events, items: run.items, seconds: run.seconds },
          'item model trained',
        )
      },
    })
  }
  if (config.retentionIntervalMinutes > 0) {
    jobs.define({
      kind: 'retention',
      everyMs: config.retentionIntervalMinutes * 60_000,
      async run() {
        const report = await services.retention.run()
        logger.info({ deleted: report.deleted, total: report.total }, 'retention run')
      },
    })
  }
  if (config.auditIntervalHours > 0) {
    jobs.define({
      kind: 'reviews.audit',
      everyMs: config.auditIntervalHours * 3_600_000,
      async run() {
        const report = await services.reviews.runAndStore()
        logger.info({ report: report.id, findings: report.findings.length }, 'audit report kept')
      },
    })
  }
  if (config.vendors.intervalSeconds > 0 && services.vendors.destinations.length > 0) {
    jobs.define({
      kind: 'vendors.deliver',
      everyMs: config.vendors.intervalSeconds * 1000,
      async run() {
        const report = await services.vendors.deliverAll()
        if (report.sent + report.failed + report.deadLettered + report.deletions > 0)
          logger.info(report, 'vendor deliveries')
      },
    })
  }
  defineExperimentsJob(runtime)
  definePricingJob(runtime)
  jobs.define({
    kind: 'audit.checkpoint',
    everyMs: CHECKPOINT_EVERY_MS,
    run: async () => void (await services.audit.checkpoint()),
  })
  const checkpoints = services.audit.startCheckpoints({
    everyMs: 0,
    onError: (err) => logger.error({ err }, 'audit checkpoint failed'),
  })
  const runner = await jobs.start({
    onError: (kind, err) => logger.error({ err, job: kind }, 'background job failed'),
  })
  return {
    async stop() {
      await Promise.all([runner.stop(), checkpoints.stop()])
    },
  }
}

/** `experiments.rollout`: outcomes counted, then every running experiment stepped (see above). */
function defineExperimentsJob({ services, logger }: Runtime): void {
  services.jobs.define({
    kind: 'experiments.rollout',
    everyMs: EXPERIMENTS_EVERY_MS,
    async run() {
      const steps = await services.experiments.runRollouts()
      const moved = steps.filter((s) => s.action !== 'held')
      if (moved.length > 0) logger.info({ steps: moved }, 'experiment rollouts stepped')
    },
  })
}

/** `pricing.run`: the same run as "Run now" (see above), by the system, one interval after the first start. */
function definePricingJob({ services, logger, config }: Runtime): void {
  if (config.pricingIntervalHours <= 0) return
  const everyMs = config.pricingIntervalHours * 3_600_000
  services.jobs.define({
    kind: 'pricing.run',
    everyMs,
    firstRunAfterMs: everyMs,
    async run() {
      const { suggestions, skipped } = await services.pricing.run({
        kind: 'system',
        name: 'pricing.run',
      })
      const applied = suggestions.filter((s) => s.status === 'applied').length
      logger.info(
        { suggested: suggestions.length - applied, applied, skipped: skipped.length },
        'pricing run',
      )
    },
  })
}
