import {
  INITIAL_STATE,
  advance,
  compareProportions,
  type SequentialState,
} from './experiments.sequential.js'
import {
  HARMFUL_WHEN_HIGHER,
  METRICS,
  type ArmOut,
  type ComparisonOut,
  type Experiment,
  type GuardrailState,
  type Metric,
  type Statistics,
} from './experiments.js'

/**
 * An experiment's statistics from its enrolment counts: pure. Every variant after the first is
 * compared with the first (the control) on the primary metric and on each guardrail's metric by the
 * always-valid sequential test (`experiments.sequential.ts`), at alpha divided by the number of
 * comparisons that decide something (Bonferroni over variants and guardrails), so that neither an
 * early look nor the number of checks makes a false stop or a false win likelier than alpha.
 */

export const METHOD =
  'mSPRT with a normal mixture (Johari et al. 2022), confidence sequences as in Howard et al. 2021; Bonferroni over variants and metrics'

/** The running state per comparison, `<metric>:<variant>`, kept between rollout steps. */
export type Looks = Record<string, SequentialState>

/** A guardrail breaks when its whole confidence sequence lies beyond the tolerated harm. */
export function isBreached(metric: Metric, interval: readonly [number, number], tolerance: number) {
  return HARMFUL_WHEN_HIGHER.has(metric) ? interval[0] > tolerance : interval[1] < -tolerance
}

export function computeStatistics(
  experiment: Experiment,
  arms: readonly ArmOut[],
  looks: Looks,
): { statistics: Statistics; looks: Looks } {
  const treatments = Math.max(1, arms.length - 1)
  const tests = treatments * (1 + experiment.guardrails.length)
  const options = { alpha: experiment.alpha / tests, plannedUnits: experiment.plannedUnits }
  const next: Looks = { ...looks }
  const control = arms[0]

  const compare = (metric: Metric): ComparisonOut[] => {
    if (control === undefined) return []
    return arms.slice(1).map((arm) => {
      const key = `${metric}:${arm.variant}`
      const look = compareProportions(
        { units: control.units, conversions: control.counts[metric] ?? 0 },
        { units: arm.units, conversions: arm.counts[metric] ?? 0 },
        options,
      )
      const state = advance(looks[key] ?? INITIAL_STATE, look, options.alpha)
      next[key] = { pValue: state.pValue, interval: state.interval }
      return {
        variant: arm.variant,
        metric,
        controlRate: look.controlRate,
        variantRate: look.treatmentRate,
        difference: look.difference,
        relativeLift: look.relativeLift,
        pValue: state.pValue,
        interval: [state.interval[0], state.interval[1]],
        significant: state.significant,
      }
    })
  }

  const primary = compare(experiment.primaryMetric)
  const guardrails: GuardrailState[] = experiment.guardrails.flatMap((g) =>
    compare(g.metric).map((c) => ({
      ...c,
      tolerance: g.tolerance,
      breached: isBreached(g.metric, c.interval, g.tolerance),
    })),
  )
  return { statistics: { method: METHOD, arms: [...arms], primary, guardrails }, looks: next }
}

/** Empty counts for a variant with no enrolment yet. */
export function emptyArm(variant: string): ArmOut {
  return {
    variant,
    units: 0,
    counts: Object.fromEntries(METRICS.map((m) => [m, 0])) as Record<Metric, number>,
  }
}
