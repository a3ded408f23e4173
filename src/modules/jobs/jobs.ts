import { z } from 'zod'

/** A background job as staff see it (`GET /v1/admin/jobs`): no personal data. */
export const JobViewSchema = z.object({
  kind: z
    .string()
    .describe('What the job does: `retention`, `recommend.train`, `rights.request` ...'),
  key: z
    .string()
    .nullable()
    .describe("A one-off job's key (a rights request's id); null for a recurring job"),
  state: z
    .enum(['running', 'failing', 'due', 'scheduled', 'idle'])
    .describe(
      'running: a process holds its lease now; failing: its last run threw and it will be tried again at dueAt; due: waiting for a process to take it; scheduled: runs at dueAt',
    ),
  dueAt: z.string().nullable().describe('When it runs next'),
  lease: z
    .object({
      host: z.string().describe('The machine of the process holding the lease'),
      pid: z.number().int().describe('Its process id'),
      until: z
        .string()
        .describe('When the lease runs out unless renewed (every 1.5 s while it works)'),
    })
    .nullable(),
  runs: z.number().int().describe('Runs finished, successful or not'),
  failures: z.number().int().describe('Failed runs since the last success'),
  lastStartedAt: z.string().nullable(),
  lastFinishedAt: z.string().nullable(),
  lastError: z.string().nullable().describe("The last failure's code or class and message"),
})

export const JobListSchema = z.object({ jobs: z.array(JobViewSchema) })
