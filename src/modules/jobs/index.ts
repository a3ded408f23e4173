/**
 * Background jobs any process may run: one table (`jobs`, migration 0019) of recurring and one-off jobs
 * with leases (`jobs.repository.ts`), the runner that claims, renews and records them
 * (`jobs.runner.ts`), who holds a lease and when that holder is provably dead (`lease-holder.ts`), and
 * the staff route listing them. Which kinds run is composed in `src/main/jobs.ts`.
 */
export {
  createJobRunner,
  JobLeaseLostError,
  type JobDefinition,
  type JobLease,
  type JobRunner,
  type JobRunnerDeps,
  type JobView,
} from './jobs.runner.js'
export { JobListSchema, JobViewSchema } from './jobs.js'
export { jobsRoutes } from './jobs.routes.js'
export {
  currentHolder,
  formatHolder,
  isHolderDead,
  parseHolder,
  type LeaseHolder,
} from './lease-holder.js'
