import type { Experiment } from './experiments.js'

/**
 * What a variant changes for the shopper, in plain words: what the privacy center shows beside each
 * experiment a shopper is in, and what their export says. Pure.
 */

/** Plain names of the scoring settings a variant may change (`engine/overrides.ts`). */
const SETTING_WORDS: Readonly<Record<string, string>> = {
  'personal.repeatWeight': 'how much items you bought before count',
  'personal.otherWeight': 'how much items you have not had yet count',
  'personal.neighbourWeight': 'how much items often bought together with yours count',
  'personal.popularityWeight': 'how much items popular with everyone count',
  'personal.popularityRecent': 'how much recent popularity counts against all-time popularity',
  'personal.easeWeight': 'which of two ways of finding related items is used',
  'personal.repeatTauDays': 'how fast older purchases stop counting',
  'personal.sourceTauDays': 'how fast older items of your history stop counting',
  'personal.repeatUnit': 'how repeat purchases are counted',
  'personal.repeatPropensityExponent': 'how much items people often buy again count',
  'personal.recentShareExponent': 'how much items bought recently by others count',
  'session.neighbourWeight': 'how much what you look at during this visit counts',
  'session.offWeight': 'how much popular and new items count during a visit',
  'session.recencyDecay': 'how much the last item you looked at counts against earlier ones',
}

const TARGET_WORDS: Readonly<Record<Experiment['target'], string>> = {
  recommendation_parameters: 'Your suggestions are ranked differently',
  prompt_text: 'The question asking for your consent is worded differently',
  offer: 'You may be shown a different offer',
}

export function describeVariant(experiment: Experiment, variantIndex: number): string {
  if (variantIndex === 0)
    return 'Nothing differs for you: you see the usual version, for comparison.'
  const variant = experiment.variants[variantIndex]
  const control = experiment.variants[0]
  const head = TARGET_WORDS[experiment.target]
  if (variant === undefined || experiment.target !== 'recommendation_parameters') return `${head}.`
  const changed = Object.keys(variant.settings).filter(
    (k) => variant.settings[k] !== control?.settings[k],
  )
  const words = changed.map((k) => SETTING_WORDS[k] ?? k)
  return words.length === 0 ? `${head}.` : `${head}: we change ${words.join('; ')}.`
}
