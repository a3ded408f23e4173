/**
 * What a text says, for trends and alerts: its sentiment (wink-nlp's English lite model, a score in
 * [-1, 1]) and the aspects it is about, by keyword. The keyword lists live here and only here.
 *
 * Why wink-nlp: maintained, no dependencies, no install script, runs on Node 20, and its model is an
 * npm package (no download at run time). Its sentiment is lexicon based (with negation and intensity),
 * measured on the test sentences in `voice.analysis.test.ts`.
 */
import { createRequire } from 'node:module'
import type WinkModel from 'wink-eng-lite-web-model'
import type WinkNLP from 'wink-nlp'

export const ASPECTS = ['relevance', 'privacy', 'price', 'delivery', 'quality'] as const
export type Aspect = (typeof ASPECTS)[number]

/**
 * Each aspect's words, matched against the text's normalized tokens (lower case, contractions
 * expanded). A word ending in `*` matches any token that begins with it.
 */
export const ASPECT_KEYWORDS: Readonly<Record<Aspect, readonly string[]>> = {
  relevance: [
    'relevant',
    'irrelevant',
    'suggestion*',
    'recommend*',
    'useful',
    'useless',
    'helpful',
    'unhelpful',
    'match*',
    'fit',
    'random',
  ],
  privacy: [
    'creepy',
    'creep*',
    'privacy',
    'private',
    'stalk*',
    'spy*',
    'tracking',
    'track*',
    'intrusive',
    'invasive',
    'personal',
  ],
  price: ['price*', 'expensive', 'cheap*', 'cost*', 'overpriced', 'value', 'money', 'pricey'],
  delivery: [
    'deliver*',
    'shipping',
    'shipped',
    'ship',
    'arrive*',
    'arrival',
    'late',
    'parcel',
    'courier',
    'dispatch*',
    'package',
  ],
  quality: [
    'quality',
    'broke*',
    'broken',
    'cheaply',
    'flimsy',
    'sturdy',
    'durable',
    'defect*',
    'faulty',
    'damaged',
    'material',
    'well-made',
  ],
}

/** Below this sentiment a text with no rating counts as negative. */
export const NEGATIVE_SENTIMENT = -0.05
/** A rating at or below this counts as negative, whatever the text says. */
export const NEGATIVE_RATING = 2

export interface Analysis {
  /** In [-1, 1]; 0 when there is no text (a rating alone says it through `negative`). */
  sentiment: number
  aspects: Aspect[]
  negative: boolean
}

let loaded: ReturnType<typeof WinkNLP> | undefined

/**
 * wink-nlp with its model, loaded on the first text rather than with the module: the model costs about
 * a third of a second of CPU to load, and every process that wires the modules (each CLI command, each
 * server worker) would pay it. Both packages are CommonJS, so a synchronous require keeps `analyze`
 * synchronous.
 */
function nlp(): ReturnType<typeof WinkNLP> {
  if (loaded === undefined) {
    const require = createRequire(import.meta.url)
    const winkNLP = require('wink-nlp') as typeof WinkNLP
    loaded = winkNLP(require('wink-eng-lite-web-model') as typeof WinkModel)
  }
  return loaded
}

function matches(token: string, word: string): boolean {
  return word.endsWith('*') ? token.startsWith(word.slice(0, -1)) : token === word
}

/** The aspects a text is about, in `ASPECTS` order. */
export function aspectsOf(tokens: readonly string[]): Aspect[] {
  return ASPECTS.filter((aspect) =>
    ASPECT_KEYWORDS[aspect].some((word) => tokens.some((token) => matches(token, word))),
  )
}

/**
 * Sentiment, aspects and whether the entry is negative: a rating decides that when there is one,
 * otherwise the text's sentiment.
 *
 * @example analyze('Lovely candle, fast delivery', 5) // { sentiment > 0, aspects: ['delivery'], negative: false }
 */
export function analyze(text: string | undefined, rating: number | undefined): Analysis {
  let sentiment = 0
  let aspects: Aspect[] = []
  if (text !== undefined && text.trim() !== '') {
    const wink = nlp()
    const doc = wink.readDoc(text)
    const { its } = wink
    // wink-nlp's `its.*` are plain functions that do not use `this`; they are passed as its docs show.
    /* eslint-disable @typescript-eslint/unbound-method */
    sentiment = Number(doc.out(its.sentiment))
    aspects = aspectsOf(doc.tokens().out(its.normal))
    /* eslint-enable @typescript-eslint/unbound-method */
  }
  const negative =
    rating !== undefined
      ? rating <= NEGATIVE_RATING
      : text !== undefined && sentiment < NEGATIVE_SENTIMENT
  return { sentiment: Math.round(sentiment * 1000) / 1000, aspects, negative }
}
