import { z } from 'zod'
import type { Experiment, GuardrailState, Statistics } from './experiments.js'

/**
 * What a rollout step does, and the record of looks the console charts: pure functions.
 *
 * A step stops the experiment when any guardrail is breached. Otherwise a step asked for by staff
 * (`POST /v1/experiments/:id/rollout`) moves to the next stage at once; the rollout job moves on only
 * once the stage has run `stageHours` (counted from the last change of stage), and at the last stage
 * it only looks.
 */

export type StepAction = 'advanced' | 'stopped' | 'at_last_stage' | 'held'

export function decideStep(input: {
  experiment: Experiment
  statistics: Statistics
  /** `manual`: staff asked for the step; `scheduled`: the rollout job. */
  mode: 'manual' | 'scheduled'
  now: number
}): { action: StepAction; breached: GuardrailState | undefined } {
  const { experiment, statistics, mode, now } = input
  const breached = statistics.guardrails.find((g) => g.breached)
  if (breached !== undefined) return { action: 'stopped', breached }
  const last = experiment.stage + 1 >= experiment.stages.length
  if (mode === 'manual') return { action: last ? 'at_last_stage' : 'advanced', breached }
  const due = now - Date.parse(experiment.updatedAt) >= experiment.stageHours * 3_600_000
  return { action: due && !last ? 'advanced' : 'held', breached }
}

/** One look: when, at which stage, the units per variant and each comparison's state. */
export const LookPointSchema = z.object({
  at: z.string(),
  stage: z.number().int(),
  units: z.array(z.number().int()),
  comparisons: z.array(
    z.object({
      metric: z.string(),
      variant: z.string(),
      difference: z.number(),
      interval: z.tuple([z.number(), z.number()]),
      pValue: z.number(),
    }),
  ),
})
export type LookPoint = z.infer<typeof LookPointSchema>

/** Looks kept per experiment: past this, every second older look is dropped (the chart thins). */
export const MAX_LOOKS = 400

export function lookOf(at: string, stage: number, statistics: Statistics): LookPoint {
  return {
    at,
    stage,
    units: statistics.arms.map((a) => a.units),
    comparisons: [...statistics.primary, ...statistics.guardrails].map((c) => ({
      metric: c.metric,
      variant: c.variant,
      difference: c.difference,
      interval: [c.interval[0], c.interval[1]],
      pValue: c.pValue,
    })),
  }
}

/** The history with one more look, thinned to at most `MAX_LOOKS` (the newest always kept). */
export function withLook(history: readonly LookPoint[], look: LookPoint): LookPoint[] {
  const next = [...history, look]
  if (next.length <= MAX_LOOKS) return next
  const thinned = next.slice(0, -1).filter((_, i) => i % 2 === 0)
  return [...thinned, look]
}

/** A stored history (an unreadable one reads as none: it only feeds the chart). */
export function parseHistory(json: string): LookPoint[] {
  const parsed = z.array(LookPointSchema).safeParse(JSON.parse(json))
  return parsed.success ? parsed.data : []
}
