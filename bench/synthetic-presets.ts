/**
 * The synthetic shops' knobs (`ShopSpec`) and the contrasting presets `npm run bench:quality --
 * --synthetic` runs; the generator that reads them is `synthetic-shop.ts`.
 */
/** The knobs of one synthetic shop. */
export interface ShopSpec {
  readonly name: string
  /** One line on what the preset stands for. */
  readonly description: string
  readonly seed: number
  /** Catalog size (items that exist over the whole span, released or not). */
  readonly items: number
  readonly categories: number
  readonly customers: number
  /** First day of the span, `YYYY-MM-DD`. */
  readonly start: string
  readonly days: number
  /** Zipf exponent of item popularity (0 flat, 1 classic, >1 a few blockbusters). */
  readonly zipf: number
  /** Probability that a basket slot is a repeat of the customer's own past purchase. */
  readonly repeatRate: number
  /** Mean distinct items per basket (at least 1). */
  readonly basketMean: number
  /** Mean visits per customer per year while active (individual rates are gamma distributed). */
  readonly visitsPerYear: number
  /** Categories each customer prefers. */
  readonly preferredCategories: number
  /** Share of fresh (non-repeat) picks taken from the preferred categories. */
  readonly preferenceStrength: number
  /** Largest seasonal concentration kappa of a category (0: no seasons). */
  readonly seasonality: number
  /** Share of the catalog released during the span (the rest is on sale from the start). */
  readonly newItemShare: number
  /** Multiplier on a just-released item's popularity, fading with a 30-day time constant. */
  readonly noveltyBoost: number
  /** Days an item stays on sale after its release (Infinity: forever). */
  readonly shelfLifeDays: number
}

/**
 * Contrasting shops, each small enough to generate in about a second and to run every reference
 * on in well under a minute.
 */
export const SHOP_PRESETS: readonly ShopSpec[] = Object.freeze([
  {
    name: 'grocery',
    description: 'small catalog, big weekly baskets, mostly repeats of staples',
    seed: 1,
    items: 3000,
    categories: 60,
    customers: 2500,
    start: '2023-01-01',
    days: 365,
    zipf: 0.9,
    repeatRate: 0.6,
    basketMean: 12,
    visitsPerYear: 10,
    preferredCategories: 6,
    preferenceStrength: 0.75,
    seasonality: 1,
    newItemShare: 0.05,
    noveltyBoost: 0.5,
    shelfLifeDays: Infinity,
  },
  {
    name: 'fashion',
    description: 'few repeats, strong seasons, most items new and sold for half a year',
    seed: 2,
    items: 12000,
    categories: 80,
    customers: 8000,
    start: '2022-01-01',
    days: 730,
    zipf: 0.8,
    repeatRate: 0.04,
    basketMean: 2.5,
    visitsPerYear: 4,
    preferredCategories: 3,
    preferenceStrength: 0.8,
    seasonality: 3,
    newItemShare: 0.8,
    noveltyBoost: 3,
    shelfLifeDays: 180,
  },
  {
    name: 'electronics',
    description: 'large catalog, strong skew, single-item orders, hardly any repeats',
    seed: 3,
    items: 30000,
    categories: 150,
    customers: 12000,
    start: '2022-01-01',
    days: 730,
    zipf: 1.2,
    repeatRate: 0.03,
    basketMean: 1.6,
    visitsPerYear: 2.5,
    preferredCategories: 2,
    preferenceStrength: 0.85,
    seasonality: 0.7,
    newItemShare: 0.3,
    noveltyBoost: 2,
    shelfLifeDays: Infinity,
  },
  {
    name: 'books',
    description: 'long tail: 50k titles, mild skew, readers loyal to a few genres, no repeats',
    seed: 4,
    items: 50000,
    categories: 300,
    customers: 10000,
    start: '2022-01-01',
    days: 730,
    zipf: 0.6,
    repeatRate: 0.01,
    basketMean: 2,
    visitsPerYear: 4,
    preferredCategories: 3,
    preferenceStrength: 0.85,
    seasonality: 0.3,
    newItemShare: 0.2,
    noveltyBoost: 1.5,
    shelfLifeDays: Infinity,
  },
  {
    name: 'pharmacy',
    description: 'staples bought again and again, small baskets, cold and allergy seasons',
    seed: 5,
    items: 2000,
    categories: 40,
    customers: 5000,
    start: '2023-01-01',
    days: 365,
    zipf: 1.1,
    repeatRate: 0.75,
    basketMean: 3,
    visitsPerYear: 8,
    preferredCategories: 3,
    preferenceStrength: 0.7,
    seasonality: 1.5,
    newItemShare: 0.02,
    noveltyBoost: 0.3,
    shelfLifeDays: Infinity,
  },
  {
    name: 'gifts',
    description: 'wholesale gifts like UCI: large baskets, some repeats, a Christmas-heavy year',
    seed: 6,
    items: 4000,
    categories: 80,
    customers: 3000,
    start: '2023-01-01',
    days: 365,
    zipf: 0.9,
    repeatRate: 0.35,
    basketMean: 15,
    visitsPerYear: 5,
    preferredCategories: 5,
    preferenceStrength: 0.7,
    seasonality: 2,
    newItemShare: 0.3,
    noveltyBoost: 1,
    shelfLifeDays: Infinity,
  },
  {
    name: 'tiny',
    description: 'a new shop: four months of data, a few hundred customers',
    seed: 7,
    items: 1000,
    categories: 25,
    customers: 800,
    start: '2024-01-01',
    days: 120,
    zipf: 1,
    repeatRate: 0.25,
    basketMean: 2.5,
    visitsPerYear: 10,
    preferredCategories: 3,
    preferenceStrength: 0.75,
    seasonality: 0.5,
    newItemShare: 0.2,
    noveltyBoost: 1,
    shelfLifeDays: Infinity,
  },
] satisfies ShopSpec[])

/** The preset called `name`; throws with the list of names otherwise. */
export function findPreset(name: string): ShopSpec {
  const spec = SHOP_PRESETS.find((p) => p.name === name)
  if (!spec)
    throw new Error(
      `unknown preset "${name}"; presets: ${SHOP_PRESETS.map((p) => p.name).join(', ')}`,
    )
  return spec
}
