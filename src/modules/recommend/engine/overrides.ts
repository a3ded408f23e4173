/**
 * Scoring settings that an experiment's variant may change (issue 21): the `personal` and `session`
 * scoring parameters of `params.ts`, named `personal.<name>` or `session.<name>`, each within a range
 * that keeps the score meaningful. Pure; the model's own (tuned) parameters stay the base, a variant
 * only replaces the ones it names.
 */
import type { PersonalParams, ScoringParams, SessionParams } from './params.js'

type Range = { readonly min: number; readonly max: number }

const PERSONAL_RANGES: Readonly<Record<Exclude<keyof PersonalParams, 'repeatUnit'>, Range>> = {
  repeatTauDays: { min: 0, max: 3650 },
  repeatPropensityExponent: { min: 0, max: 4 },
  recentShareExponent: { min: 0, max: 4 },
  repeatWeight: { min: 0, max: 100 },
  otherWeight: { min: 0, max: 100 },
  sourceTauDays: { min: 0, max: 3650 },
  neighbourWeight: { min: 0, max: 100 },
  easeWeight: { min: 0, max: 1 },
  popularityWeight: { min: 0, max: 100 },
  popularityRecent: { min: 0, max: 1 },
}

const SESSION_RANGES: Readonly<Record<keyof SessionParams, Range>> = {
  recencyDecay: { min: 0, max: 1 },
  neighbourWeight: { min: 0, max: 100 },
  offWeight: { min: 0, max: 100 },
}

/** Every setting name a variant may use, with its range (`personal.repeatUnit`: 'day' or 'event'). */
export const SCORING_SETTINGS: readonly string[] = [
  ...Object.keys(PERSONAL_RANGES).map((k) => `personal.${k}`),
  'personal.repeatUnit',
  ...Object.keys(SESSION_RANGES).map((k) => `session.${k}`),
]

export type SettingValue = string | number | boolean

/**
 * Why a setting cannot be applied, or undefined when it can.
 *
 * @example scoringSettingIssue('personal.popularityWeight', 0.5) // undefined
 * @example scoringSettingIssue('popularShare', 0.2) // 'not a scoring parameter (personal.… or session.…)'
 */
export function scoringSettingIssue(name: string, value: SettingValue): string | undefined {
  const [part, key] = name.split('.', 2) as [string, string | undefined]
  if (name === 'personal.repeatUnit')
    return value === 'day' || value === 'event' ? undefined : "must be 'day' or 'event'"
  const ranges: Readonly<Record<string, Range>> | undefined =
    part === 'personal' ? PERSONAL_RANGES : part === 'session' ? SESSION_RANGES : undefined
  const range = key === undefined ? undefined : ranges?.[key]
  if (range === undefined) return 'not a scoring parameter (personal.<name> or session.<name>)'
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value < range.min ||
    value > range.max
  )
    return `must be a number from ${range.min} to ${range.max}`
  return undefined
}

/**
 * The scoring parameters with a variant's settings in place of the model's own; a setting that
 * `scoringSettingIssue` refuses is left out (the base value stands).
 */
export function applyScoringSettings(
  base: ScoringParams,
  settings: Readonly<Record<string, SettingValue>>,
): ScoringParams {
  const personal: Record<string, SettingValue> = { ...base.personal }
  const session: Record<string, SettingValue> = { ...base.session }
  for (const [name, value] of Object.entries(settings)) {
    if (scoringSettingIssue(name, value) !== undefined) continue
    const [part, key] = name.split('.', 2) as [string, string]
    if (part === 'personal') personal[key] = value
    else session[key] = value
  }
  return {
    personal: personal as unknown as PersonalParams,
    session: session as unknown as SessionParams,
  }
}
