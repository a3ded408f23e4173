import type { ConsentDecision, PersonalizationLevel } from '../consent/index.js'
import type { NotEnrolledReason } from './experiments.js'

/**
 * Who may be enrolled in an experiment: the one rule, pure. A shopper who chose the level `off`, who
 * objected to (or withdrew consent for, or opted out by GPC from) the experiment's purpose, or whose
 * processing is restricted is never enrolled; neither is one for whom the purpose is simply not allowed.
 *
 * @example decideEligibility({ restricted: false, level: 'off', decision }) // 'level_off'
 */
export function decideEligibility(input: {
  restricted: boolean
  /** The level the shopper chose (undefined for an anonymous visit). */
  level: PersonalizationLevel | undefined
  /** The consent decision for the experiment's purpose. */
  decision: Pick<ConsentDecision, 'allowed' | 'reason'>
}): NotEnrolledReason | undefined {
  if (input.restricted || input.decision.reason === 'restricted') return 'restricted'
  if (input.level === 'off') return 'level_off'
  if (!input.decision.allowed) {
    return input.decision.reason === 'explicit_denial' || input.decision.reason === 'gpc'
      ? 'objected'
      : 'no_consent'
  }
  return undefined
}
