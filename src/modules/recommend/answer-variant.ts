/**
 * The experiment step of an answer (issue 21): which variant of a running experiment over
 * recommendation parameters this answer is given under, and the scoring it brings. The experiments
 * module decides who is enrolled and in which variant (composed in `src/main/compose.ts`); this module
 * only asks, applies the variant's scoring settings on top of the model's own, and says which answers
 * a variant shaped so that what shoppers do with them counts for it.
 */
import type { PersonalizationLevel, RequestSignals } from '../consent/index.js'
import {
  type ItemModel,
  type SettingValue,
  applyScoringSettings,
  withScoring,
} from './engine/index.js'

/** A variant an answer is given under. */
export interface AnswerVariant {
  readonly experiment: string
  readonly variant: string
  /** The variant's place in the experiment's list (0: the control), as its exposures store it. */
  readonly index: number
  /** Scoring settings (`personal.<name>`, `session.<name>`: `engine/overrides.ts`). */
  readonly settings: Readonly<Record<string, SettingValue>>
}

/** What the experiments module offers the answer (a port: only what the answer needs). */
export interface VariantSource {
  /**
   * The variant of the running experiment over recommendation parameters for this subject, enrolling
   * them on first asking; undefined when none runs or the subject may not be enrolled (the
   * experiments module's eligibility rule: level off, objection, restriction, no consent).
   */
  variantFor(subjectId: string, signals: RequestSignals): Promise<AnswerVariant | undefined>
  /**
   * Remembers that this answer was shaped by the variant (`variant`: its `index`), so that outcomes
   * citing it count for it.
   */
  recordExposure(exposure: {
    recommId: string
    subjectId: string
    experiment: string
    variant: number
    at: string
  }): Promise<void>
}

/**
 * The variant for this answer: only for a signed-in shopper answered above `off` (an `off` answer,
 * restricted or capped included, uses nothing about anybody and enrols nobody; an anonymous visit is
 * never enrolled, since nothing of it may be kept to count its outcomes). It carries its index, which
 * `recordExposure` stores without reading the experiment again.
 */
export async function decideVariant(
  source: VariantSource | undefined,
  level: PersonalizationLevel,
  subjectId: string | undefined,
  signals: RequestSignals,
): Promise<AnswerVariant | undefined> {
  if (source === undefined || level === 'off' || subjectId === undefined) return undefined
  return source.variantFor(subjectId, signals)
}

/** The model scoring as the variant says (the model's tuned parameters where it says nothing). */
export function modelFor(model: ItemModel, variant: AnswerVariant | undefined): ItemModel {
  if (variant === undefined || Object.keys(variant.settings).length === 0) return model
  return withScoring(model, applyScoringSettings(model.scoring, variant.settings))
}
