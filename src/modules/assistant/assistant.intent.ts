/**
 * The language model's reading of a message, and how it joins the parser's (`assistant.parse.ts`).
 * The model is asked for JSON (`ModelIntentSchema`, strict: an unknown field, a wrong type, a category
 * the catalog does not have or a budget whose minimum passes its maximum makes the whole answer
 * unusable, and the parser's reading stands alone). Joined part by part: what the parser read from the
 * message wins (a number it found is never replaced), the model fills what it missed, and its search
 * words are added after the parser's. Pure: no I/O.
 */
import { z } from 'zod'
import { type Budget, type ParsedRequest, wordsOf } from './assistant.parse.js'

/** At most this many search words are taken from the model. */
const MODEL_TERMS = 8

const Amount = z.number().finite().nonnegative().max(1_000_000)
const Phrase = z.string().trim().min(1).max(60)

/** What the model must answer: every field present, `null` where the message says nothing of it. */
export const ModelIntentSchema = z
  .strictObject({
    budget: z
      .strictObject({ min: Amount.nullable(), max: Amount.nullable() })
      .nullable()
      .refine((b) => b === null || b.min === null || b.max === null || b.min <= b.max, {
        message: 'min must not exceed max',
      }),
    category: Phrase.nullable(),
    occasion: Phrase.nullable(),
    recipient: Phrase.nullable(),
    terms: z.array(z.string().trim().min(1).max(40)).max(20),
  })
  .describe("The language model's reading of a shopper's message")
export type ModelIntent = z.infer<typeof ModelIntentSchema>

/** Who read each part of what the message was taken to ask for. */
export type IntentSource = 'candor' | 'language_model' | 'both'
export interface IntentSources {
  budget?: IntentSource
  category?: IntentSource
  occasion?: IntentSource
  recipient?: IntentSource
  terms?: IntentSource
}

/** The instructions sent with the message (the answer's shape, in words the model follows). */
export const INTENT_INSTRUCTIONS =
  'Read the shopper’s message to an online shop and answer with one JSON object and nothing else: ' +
  '{"budget": {"min": number|null, "max": number|null} | null, "category": string|null, ' +
  '"occasion": string|null, "recipient": string|null, "terms": string[]}. budget: the price range in ' +
  'the shop’s currency the message states. category: one of `categories`, spelled as given, or null. ' +
  'occasion: such as gift, birthday, christmas, wedding. recipient: who it is for, such as "mum" or ' +
  '"tea lover". terms: up to 8 single product words to search the catalog with, lower case. Use null ' +
  'for what the message does not say; never guess a budget.'

/**
 * The model's answer (the text of its message) read against the schema and the catalog's
 * `categories`; undefined when it is not exactly what was asked for. A ```json fence is allowed.
 */
export function parseModelIntent(
  text: string,
  categories: readonly string[],
): ModelIntent | undefined {
  const unfenced = text
    .trim()
    .replace(/^```(?:json)?\s*/i, '')
    .replace(/\s*```$/, '')
  let json: unknown
  try {
    json = JSON.parse(unfenced)
  } catch {
    return undefined
  }
  const checked = ModelIntentSchema.safeParse(json)
  if (!checked.success) return undefined
  const intent = checked.data
  if (intent.category === null) return intent
  const category = categories.find((c) => c.toLowerCase() === intent.category!.toLowerCase())
  return category === undefined ? undefined : { ...intent, category }
}

/** Each budget end: the parser's when it read one, else the model's (never crossing the parser's). */
function budgetOf(
  parsed: Budget | undefined,
  model: ModelIntent['budget'],
): { budget: Budget | undefined; source: IntentSource | undefined } {
  const end = (which: 'min' | 'max') => {
    const own = parsed?.[which]
    if (own !== undefined) return { value: own, from: 'candor' as const }
    const theirs = model?.[which] ?? null
    return theirs === null ? undefined : { value: theirs, from: 'language_model' as const }
  }
  let min = end('min')
  let max = end('max')
  // A model's end that crosses the one the parser read ("over 30" said, a maximum of 20 guessed) goes.
  if (min !== undefined && max !== undefined && min.value > max.value) {
    if (min.from === 'language_model') min = undefined
    else if (max.from === 'language_model') max = undefined
  }
  const froms = new Set([min?.from, max?.from].filter((f) => f !== undefined))
  if (froms.size === 0) return { budget: undefined, source: undefined }
  return {
    budget: {
      ...(min === undefined ? {} : { min: min.value }),
      ...(max === undefined ? {} : { max: max.value }),
    },
    source: froms.size === 2 ? 'both' : [...froms][0],
  }
}

/** A part the parser read wins; else the model's; with where it came from. */
function pick<T>(own: T | undefined, theirs: T | null | undefined) {
  if (own !== undefined) return { value: own, source: 'candor' as const }
  if (theirs !== null && theirs !== undefined)
    return { value: theirs, source: 'language_model' as const }
  return { value: undefined, source: undefined }
}

/**
 * The request to answer: the parser's reading, filled by the model's where the parser read nothing,
 * and the model's search words after the parser's (lower case, each once). Without a model reading,
 * the parser's alone.
 *
 * @example mergeIntent(parseRequest('something for my gran who likes her cuppa'), modelSaid)
 */
export function mergeIntent(
  parsed: ParsedRequest,
  model: ModelIntent | undefined,
): { request: ParsedRequest; from: IntentSources } {
  const budget = budgetOf(parsed.budget, model?.budget ?? null)
  const category = pick(parsed.category, model?.category)
  const occasion = pick(parsed.occasion, model?.occasion?.toLowerCase())
  const recipient = pick(parsed.recipient, model?.recipient?.toLowerCase())
  const terms = [...parsed.terms]
  const added = new Set<string>()
  for (const word of (model?.terms ?? []).flatMap((t) => wordsOf(t))) {
    if (added.size >= MODEL_TERMS || terms.includes(word)) continue
    terms.push(word)
    added.add(word)
  }
  const termsFrom: IntentSource | undefined =
    added.size === 0
      ? parsed.terms.length === 0
        ? undefined
        : 'candor'
      : parsed.terms.length === 0
        ? 'language_model'
        : 'both'
  const from: IntentSources = {
    ...(budget.source === undefined ? {} : { budget: budget.source }),
    ...(category.source === undefined ? {} : { category: category.source }),
    ...(occasion.source === undefined ? {} : { occasion: occasion.source }),
    ...(recipient.source === undefined ? {} : { recipient: recipient.source }),
    ...(termsFrom === undefined ? {} : { terms: termsFrom }),
  }
  return {
    request: {
      ...parsed,
      budget: budget.budget,
      category: category.value,
      occasion: occasion.value,
      recipient: recipient.value,
      terms,
    },
    from,
  }
}
