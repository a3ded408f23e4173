/**
 * What a shopper's message asks for, read without any model: a budget, a category of the catalog, an
 * occasion, a recipient, and the words left to search the catalog with. Pure: no I/O, the same message
 * and categories always give the same request, so the parser is tested on its own
 * (`assistant.parse.test.ts`) and the benchmark can call it without a server.
 */

/** A price range in the shop's currency; either end may be open. */
export interface Budget {
  readonly min?: number
  readonly max?: number
}

/** What the message asks for. */
export interface ParsedRequest {
  readonly budget: Budget | undefined
  /** A catalog category name the message names (directly or by a synonym), as the catalog spells it. */
  readonly category: string | undefined
  /** gift, birthday, christmas, wedding ...: the occasion named, if any. */
  readonly occasion: string | undefined
  /** Who it is for: a person ("mum") or an interest ("tea lover"), as the message said it. */
  readonly recipient: string | undefined
  /** An interest of the recipient ("tea" of "a tea lover"), searched with the other words. */
  readonly interest: string | undefined
  /** The words to search the catalog with (budget, filler and relation words removed), lower case. */
  readonly terms: readonly string[]
}

const AMOUNT = String.raw`(?:£|\$|€|gbp\s*)?(\d+(?:[.,]\d{1,2})?)\s*(pounds?|quid|gbp|p|pence|euros?|dollars?|bucks)?\b`

/** "between 5 and 10", "from £5 to £10", "5-10 pounds": both ends. */
const RANGE = new RegExp(
  String.raw`\b(?:between|from)?\s*${AMOUNT}\s*(?:and|to|-|–)\s*${AMOUNT}`,
  'i',
)
/** "under 20 pounds", "less than £15", "no more than 8", "up to £30", "max 12". */
const AT_MOST = new RegExp(
  String.raw`\b(?:under|below|less than|cheaper than|no more than|not more than|up to|at most|max(?:imum)?|within|for less than|budget(?: of| is)?)\s*${AMOUNT}`,
  'i',
)
/** "over 10 pounds", "more than £5", "at least 20", "from 15". */
const AT_LEAST = new RegExp(
  String.raw`\b(?:over|above|more than|at least|min(?:imum)?|from)\s*${AMOUNT}`,
  'i',
)
/** "£20 or less", "20 pounds max". */
const OR_LESS = new RegExp(String.raw`${AMOUNT}\s*(?:or less|or under|max(?:imum)?|tops)\b`, 'i')

/** An amount as a price: pence are hundredths. */
function amountOf(digits: string, unit: string | undefined): number {
  const value = Number(digits.replace(',', '.'))
  return unit === 'p' || unit === 'pence' ? value / 100 : value
}

/** The budget a message states, and the message without it. */
function parseBudget(text: string): { budget: Budget | undefined; rest: string } {
  const range = RANGE.exec(text)
  // A bare "5-10" counts only with a money word or sign somewhere in it (not "set of 2-4").
  if (
    range !== null &&
    (/between|from|£|\$|€/i.test(range[0]) || range[2] !== undefined || range[4] !== undefined)
  ) {
    const a = amountOf(range[1]!, range[2] ?? range[4])
    const b = amountOf(range[3]!, range[4] ?? range[2])
    return {
      budget: { min: Math.min(a, b), max: Math.max(a, b) },
      rest: text.replace(range[0], ' '),
    }
  }
  let rest = text
  let min: number | undefined
  let max: number | undefined
  for (const pattern of [AT_MOST, OR_LESS]) {
    const m = pattern.exec(rest)
    if (m === null || max !== undefined) continue
    max = amountOf(m[1]!, m[2])
    rest = rest.replace(m[0], ' ')
  }
  const least = AT_LEAST.exec(rest)
  if (least !== null) {
    min = amountOf(least[1]!, least[2])
    rest = rest.replace(least[0], ' ')
  }
  if (min === undefined && max === undefined) return { budget: undefined, rest }
  return {
    budget: { ...(min === undefined ? {} : { min }), ...(max === undefined ? {} : { max }) },
    rest,
  }
}

/** Occasions and the words that name them. `gift` is the generic one, said by "present" too. */
export const OCCASIONS: Readonly<Record<string, readonly string[]>> = {
  christmas: ['christmas', 'xmas', 'stocking filler', 'stocking fillers', 'secret santa'],
  birthday: ['birthday', 'bday'],
  wedding: ['wedding', 'bride', 'groom', 'newlyweds'],
  anniversary: ['anniversary'],
  valentine: ['valentine', "valentine's", 'valentines'],
  "mother's day": ["mother's day", 'mothers day'],
  "father's day": ["father's day", 'fathers day'],
  easter: ['easter'],
  halloween: ['halloween'],
  'new baby': ['new baby', 'baby shower', 'christening'],
  housewarming: ['housewarming', 'house warming', 'new home'],
  'thank you': ['thank you', 'thankyou', 'teacher gift'],
  retirement: ['retirement', 'retiring'],
  party: ['party', 'parties'],
  gift: ['gift', 'gifts', 'present', 'presents'],
}
/** Occasions whose word is not worth searching the catalog for (every item can be a gift). */
const UNSEARCHED_OCCASIONS = new Set([
  'gift',
  'thank you',
  'retirement',
  "mother's day",
  "father's day",
])

/** People a gift is for: said, but not searched for (no product is called "mum"). */
const RELATIONS = [
  'mum',
  'mom',
  'mother',
  'mam',
  'dad',
  'father',
  'sister',
  'brother',
  'wife',
  'husband',
  'partner',
  'boyfriend',
  'girlfriend',
  'friend',
  'friends',
  'grandma',
  'gran',
  'nan',
  'nana',
  'granny',
  'grandad',
  'granddad',
  'grandpa',
  'grandmother',
  'grandfather',
  'son',
  'daughter',
  'aunt',
  'auntie',
  'uncle',
  'niece',
  'nephew',
  'cousin',
  'teacher',
  'colleague',
  'colleagues',
  'boss',
  'neighbour',
  'neighbor',
  'host',
  'hostess',
  'someone',
  'him',
  'her',
  'them',
]
/** Words that say who, without being a product word: "a tea lover", "a football fan". */
const INTEREST =
  /\bfor (?:a|an|my|the|our|your|some)?\s*([a-z][a-z' -]{1,30}?)\s+(lover|lovers|fan|fans|addict|enthusiast|enthusiasts|fanatic|nut|drinker|drinkers|maker|makers)\b/i
const PERSON = new RegExp(
  String.raw`\bfor (?:a |an |my |the |our |your )?(?:little |new |old |best )?(${RELATIONS.join('|')})\b`,
  'i',
)

/** Words that carry no product meaning in a shopping question. */
const FILLER = new Set(
  (
    "a an the and or of to in on for with my our your me i im i'm we us you some any something " +
    'anything things thing stuff nice good great lovely cute cool best perfect ideal idea ideas ' +
    'please want wants need needs looking look find show give get buy buying suggest recommend ' +
    "could would can you'd like likes love loves who that which what is are be it its this those " +
    'these cheap cheaper affordable budget pounds pound quid price priced cost costs around about ' +
    'really very little small big new old help hi hello hey thanks gift gifts present presents ' +
    'lover lovers fan fans person people one ones someone somebody'
  ).split(' '),
)

/** Common ways to say a catalog word, searched as that word ("cup" finds mugs). */
export const SYNONYMS: Readonly<Record<string, string>> = {
  cup: 'mug',
  cups: 'mug',
  xmas: 'christmas',
  lamp: 'light',
  lamps: 'light',
  lantern: 'light',
  tealight: 't-light',
  tealights: 't-light',
  jewellery: 'jewelry',
  necklace: 'jewelry',
  earrings: 'jewelry',
  homeware: 'home',
  kitchenware: 'kitchen',
  crockery: 'kitchen',
  stationery: 'notebook',
  notepad: 'notebook',
  handbag: 'bag',
  tote: 'bag',
  purse: 'bag',
  cuppa: 'tea',
  brew: 'tea',
  kids: 'children',
  kid: 'children',
  childrens: 'children',
  toys: 'toy',
  plant: 'garden',
  plants: 'garden',
  gardener: 'garden',
  gardening: 'garden',
  baker: 'baking',
  bakers: 'baking',
  cook: 'kitchen',
  cooking: 'kitchen',
}

const singular = (word: string) =>
  word.length > 3 && word.endsWith('s') && !word.endsWith('ss') ? word.slice(0, -1) : word

/** The catalog category a message names: a category's own word (plural or not) or a synonym of it. */
function findCategory(words: readonly string[], categories: readonly string[]): string | undefined {
  const byWord = new Map<string, string>()
  for (const name of categories) {
    const key = singular(name.toLowerCase())
    if (!byWord.has(key)) byWord.set(key, name)
  }
  for (const word of words) {
    const found = byWord.get(singular(word)) ?? byWord.get(singular(SYNONYMS[word] ?? ''))
    if (found !== undefined) return found
  }
  return undefined
}

/** The occasion a message names, and the message without its words. */
function findOccasion(text: string): { occasion: string | undefined; said: string | undefined } {
  for (const [occasion, words] of Object.entries(OCCASIONS)) {
    for (const word of words) {
      if (new RegExp(String.raw`\b${word.replace(/'/g, "'?")}\b`, 'i').test(text))
        return { occasion, said: word }
    }
  }
  return { occasion: undefined, said: undefined }
}

/** The words of a text, lower case, apostrophes kept inside words. */
export function wordsOf(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[’‘]/g, "'")
    .split(/[^a-z0-9'-]+/)
    .map((w) => w.replace(/^['-]+|['-]+$/g, ''))
    .filter((w) => w !== '')
}

/**
 * Reads a shopper's message: its budget, the catalog category it names (of `categories`, the
 * catalog's category names), its occasion, recipient and the words to search with.
 *
 * @example parseRequest('a gift under 20 pounds for a tea lover', ['Tea', 'Candles'])
 * // { budget: { max: 20 }, category: 'Tea', occasion: 'gift', recipient: 'tea lover', interest: 'tea', terms: ['tea'] }
 */
export function parseRequest(text: string, categories: readonly string[] = []): ParsedRequest {
  const normalized = text.replace(/[’‘]/g, "'").replace(/\s+/g, ' ').trim()
  const { budget, rest } = parseBudget(normalized)
  const { occasion, said } = findOccasion(rest)
  const interestMatch = INTEREST.exec(rest)
  const personMatch = interestMatch === null ? PERSON.exec(rest) : null
  const interest = interestMatch?.[1]?.trim().toLowerCase()
  const recipient =
    interestMatch !== null
      ? `${interest} ${interestMatch[2]!.toLowerCase()}`
      : personMatch?.[1]?.toLowerCase()
  const relations = new Set(RELATIONS)
  const unsearched = new Set(
    occasion !== undefined && UNSEARCHED_OCCASIONS.has(occasion) && said !== undefined
      ? wordsOf(said)
      : [],
  )
  const terms: string[] = []
  for (const word of wordsOf(rest)) {
    if (FILLER.has(word) || relations.has(word) || unsearched.has(word) || /^\d/.test(word))
      continue
    const term = SYNONYMS[word] ?? word
    if (!terms.includes(term)) terms.push(term)
  }
  return {
    budget,
    category: findCategory(wordsOf(rest), categories),
    occasion,
    recipient,
    interest,
    terms,
  }
}
