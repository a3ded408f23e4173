/**
 * The data charter: the shop's privacy policy as code. These zod schemas describe its shape; the rules that
 * need the whole document (a vendor given an undeclared purpose, a consent-based purpose that defaults to
 * opt-out ...) live in `charter.rules.ts`. Every type here is inferred from its schema.
 */
import { z } from 'zod'

/**
 * The closed list of data categories a purpose may name, keyed like the fideslang taxonomy
 * (`user.behavior.browsing_history`). `user.behavior.feedback` is a Candor addition (fideslang has no key
 * for "not interested" and ratings). Each has the words the notice uses for it.
 */
export const DATA_CATEGORIES = {
  'user.behavior.browsing_history': 'the products and pages you look at',
  'user.behavior.purchase_history': 'what you buy',
  'user.behavior.search_history': 'what you search for',
  'user.behavior.media_consumption': 'the videos and articles you watch or read',
  'user.behavior.feedback': 'what you tell us about our suggestions',
  'user.unique_id.pseudonymous': 'a random code that stands for you',
  'user.device.cookie_id': 'a cookie code stored in your browser',
  'user.device.device_id': 'a code that identifies your device',
  'user.device.ip_address': 'your IP address',
  'user.location.imprecise': 'your rough location, such as your country or town',
  'user.location.precise': 'your exact location',
  'user.name': 'your name',
  'user.contact.email': 'your email address',
  'user.contact.phone_number': 'your phone number',
  'user.contact.address': 'your postal address',
  'user.contact.address.postal_code': 'your postcode',
  'user.contact.address.country': 'your country',
  'user.account.username': 'your account name',
  'user.financial': 'your payment details',
  'user.demographic.age_range': 'your age range',
} as const

export type DataCategory = keyof typeof DATA_CATEGORIES
export const DATA_CATEGORY_KEYS = Object.keys(DATA_CATEGORIES) as [DataCategory, ...DataCategory[]]

/**
 * fideslang keys for special-category data. They are not in the known list: a charter that names one is
 * refused with a reason of its own, because Candor never processes them.
 */
export const SPECIAL_DATA_CATEGORY_KEYS = [
  'user.health_and_medical',
  'user.genetic',
  'user.biometric',
  'user.religious_belief',
  'user.political_opinion',
  'user.sexual_orientation',
  'user.race_ethnicity',
  'user.criminal_history',
  'user.trade_union_membership',
] as const

/** Special categories the charter may list as never inferred, with the words the notice uses. */
export const SPECIAL_CATEGORIES = {
  health: 'your health',
  genetic: 'your genes',
  biometric: 'your face, fingerprints or other body measurements',
  religion: 'your religion or beliefs',
  political_opinion: 'your political opinions',
  trade_union: 'whether you belong to a trade union',
  ethnicity: 'your race or ethnic origin',
  sexual_life: 'your sex life or sexual orientation',
  pregnancy: 'whether you are pregnant',
  gender_identity: 'your gender identity',
  criminal_record: 'any criminal record',
  financial_hardship: 'money troubles',
  children: 'whether you have children, or their ages',
} as const

export type SpecialCategory = keyof typeof SPECIAL_CATEGORIES
export const SPECIAL_CATEGORY_KEYS = Object.keys(SPECIAL_CATEGORIES) as [
  SpecialCategory,
  ...SpecialCategory[],
]

/** The special categories of GDPR Article 9: every charter must list at least these. */
export const REQUIRED_SPECIAL_CATEGORIES: readonly SpecialCategory[] = [
  'health',
  'genetic',
  'biometric',
  'religion',
  'political_opinion',
  'trade_union',
  'ethnicity',
  'sexual_life',
]

/**
 * Event types and the fields each may carry. A purpose declares which of these it covers; the event
 * pipeline keeps only fields some allowed purpose declares. The subject or session reference and the
 * event id are the envelope, not fields.
 */
export const EVENT_FIELDS = {
  view: ['item', 'timestamp', 'placement', 'recommId'],
  cart: ['item', 'quantity', 'timestamp', 'placement', 'recommId'],
  purchase: ['item', 'quantity', 'price', 'currency', 'timestamp', 'recommId'],
  search: ['query', 'timestamp'],
  feedback: ['item', 'kind', 'rating', 'timestamp', 'recommId'],
} as const satisfies Record<string, readonly string[]>

export type EventType = keyof typeof EVENT_FIELDS
export type EventField = (typeof EVENT_FIELDS)[EventType][number]
export const EVENT_TYPES = Object.keys(EVENT_FIELDS) as [EventType, ...EventType[]]
export const EVENT_FIELD_NAMES = [...new Set(Object.values(EVENT_FIELDS).flat())] as [
  EventField,
  ...EventField[],
]

/** The data category each event type produces: a purpose covering the type must declare it. */
export const EVENT_CATEGORY: Readonly<Record<EventType, DataCategory>> = {
  view: 'user.behavior.browsing_history',
  cart: 'user.behavior.browsing_history',
  purchase: 'user.behavior.purchase_history',
  search: 'user.behavior.search_history',
  feedback: 'user.behavior.feedback',
}

/** Top-level groups of the fideslang data-use taxonomy that purpose keys may start with. */
export const PURPOSE_ROOTS = [
  'essential',
  'functional',
  'personalize',
  'analytics',
  'marketing',
  'third_party_sharing',
  'train_ai_system',
] as const

/** Purposes the engine itself relies on; every charter declares them. */
export const REQUIRED_PURPOSES = {
  essential: 'essential.service',
  session: 'personalize.session',
  personal: 'personalize.recommendations',
} as const

export const LEGAL_BASES = ['consent', 'contract', 'legitimate_interest'] as const
export const LegalBasisSchema = z.enum(LEGAL_BASES)
export type LegalBasis = z.infer<typeof LegalBasisSchema>

/** `opt_in`: denied until the shopper says yes. `opt_out`: allowed until the shopper says no. */
export const DefaultChoiceSchema = z.enum(['opt_in', 'opt_out'])
export type DefaultChoice = z.infer<typeof DefaultChoiceSchema>

/** `default` applies to every jurisdiction not named; others are region codes such as `EU`, `UK`, `US-CA`. */
export const JurisdictionKeySchema = z
  .string()
  .regex(
    /^(default|[A-Z]{2}(-[A-Z0-9]{1,3})?)$/,
    'a jurisdiction is `default` or a code such as EU, UK or US-CA',
  )
export type JurisdictionKey = z.infer<typeof JurisdictionKeySchema>

export const PurposeKeySchema = z
  .string()
  .regex(
    /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/,
    'a purpose key is dotted lower-case words, like personalize.recommendations',
  )
  .meta({ examples: ['personalize.recommendations'] })
export type PurposeKey = z.infer<typeof PurposeKeySchema>

const text = (max: number) => z.string().trim().min(1).max(max)

export const JurisdictionSchema = z.strictObject({
  title: text(80),
  /** Whether the law there requires prior consent for anything not strictly necessary (EU, UK). */
  consentRequired: z.boolean(),
})
export type Jurisdiction = z.infer<typeof JurisdictionSchema>

export const PurposeSchema = z.strictObject({
  /** What the purpose is, in a few plain words. */
  title: text(80),
  /** What the shopper gets from it, in short plain sentences. */
  benefit: text(400),
  legalBasis: LegalBasisSchema,
  dataCategories: z.array(z.enum(DATA_CATEGORY_KEYS)).min(1),
  /** Days the data is kept; 0 means it is deleted when the visit ends. */
  retentionDays: z.int().min(0).max(3650),
  /** Default choice per jurisdiction; a jurisdiction not named falls back to `default`, then to opt_in. */
  defaults: z.record(JurisdictionKeySchema, DefaultChoiceSchema).optional(),
  /** Event types this purpose covers, and the fields of each that it may keep. */
  events: z
    .partialRecord(z.enum(EVENT_TYPES), z.array(z.enum(EVENT_FIELD_NAMES)).min(1))
    .default({}),
  /** Sale, sharing or cross-context behavioural advertising: Global Privacy Control opts the shopper out. */
  saleOrSharing: z.boolean().default(false),
  /** IAB TCF v2.2 purpose ids (1-11) this purpose corresponds to. */
  tcfPurposes: z.array(z.int().min(1).max(11)).default([]),
  /**
   * A special category this purpose lets the shopper's own history use, with their explicit consent to
   * exactly this purpose (GDPR Art. 9(2)(a)): its items may then count in their personal recommendations.
   * Never for anyone else's, and never in the shared model.
   */
  specialCategory: z.enum(SPECIAL_CATEGORY_KEYS).optional(),
  /**
   * Events stored for this purpose may feed statistics for analysts (`POST /v1/insights/queries`),
   * always through differential privacy: no answer shows whether one shopper is in it. Default false:
   * events kept only for other purposes are never counted. Optional rather than defaulted, so a
   * charter that does not use it keeps its notice version.
   */
  aggregateAnalytics: z.boolean().optional(),
  /**
   * A clean-room purpose: with the shopper's consent, a partner (a vendor listing this purpose) may
   * match its own customers against the shop's and read differentially private statistics over the
   * overlap, never a row or an identity. Needs legalBasis consent and `user.contact.email`. Optional
   * like `aggregateAnalytics`.
   */
  cleanRoom: z.boolean().optional(),
  /**
   * Federated learning with local differential privacy (`src/modules/federated/`): with the shopper's
   * yes, their browser sends noisy item-pair reports made at `epsilonPerContribution` each, at most
   * `epsilonPerDay` a day, and never their history. Optional like `aggregateAnalytics`.
   */
  federated: z
    .strictObject({
      epsilonPerContribution: z.number().positive().max(20),
      epsilonPerDay: z.number().positive().max(20),
    })
    .optional(),
})
export type Purpose = z.infer<typeof PurposeSchema>

export const FrequencyCapSchema = z.strictObject({
  max: z.int().min(1),
  perDays: z.int().min(1).max(365),
})

export const TouchpointSchema = z.strictObject({
  title: text(80),
  channel: z.enum(['onsite', 'email', 'push', 'sms']),
  purposes: z.array(PurposeKeySchema).min(1),
  frequencyCap: FrequencyCapSchema,
})
export type Touchpoint = z.infer<typeof TouchpointSchema>

export const VendorSchema = z.strictObject({
  name: text(120),
  role: z.enum(['processor', 'controller']),
  /** Where the vendor processes the data, as an ISO country code. */
  country: z.string().regex(/^[A-Z]{2}$/, 'a country is a two-letter code such as GB or US'),
  purposes: z.array(PurposeKeySchema).min(1),
  /** Data it receives; when left out, every category of its purposes. */
  dataCategories: z.array(z.enum(DATA_CATEGORY_KEYS)).optional(),
  tcfVendorId: z.int().min(1).optional(),
  /**
   * Event fields it is sent (`src/modules/vendors/`); when left out, every field its allowed purposes
   * keep. Where deliveries go (URL, secret) is configured outside the charter.
   */
  fields: z.array(z.enum(EVENT_FIELD_NAMES)).optional(),
  /**
   * How a transfer outside the EEA to a country without an EU adequacy decision is lawful: standard
   * contractual clauses, binding corporate rules, or (US only) Data Privacy Framework certification.
   */
  transferSafeguard: z.enum(['sccs', 'bcrs', 'dpf']).optional(),
})
export type Vendor = z.infer<typeof VendorSchema>

export const TcfSettingsSchema = z.strictObject({
  cmpId: z.int().min(2).max(4095),
  cmpVersion: z.int().min(0).max(4095),
  publisherCountryCode: z.string().regex(/^[A-Z]{2}$/, 'a country is a two-letter code such as GB'),
  vendorListVersion: z.int().min(1).default(1),
  policyVersion: z.int().min(2).max(63).default(5),
})
export type TcfSettings = z.infer<typeof TcfSettingsSchema>

/** A privacy budget in zero-concentrated DP (rho), renewed by a rolling period of days. */
export const PrivacyBudgetSchema = z.strictObject({
  rho: z.number().positive().max(100),
  perDays: z.int().min(1).max(365),
})
export type PrivacyBudget = z.infer<typeof PrivacyBudgetSchema>

/** Integer clamping bounds `[low, high]` of a value a sum or mean adds up. */
const BoundsSchema = z
  .tuple([z.int().min(0), z.int().min(0).max(1_000_000)])
  .refine(([low, high]) => low < high, 'the lower bound must be below the upper bound')

/**
 * Differentially private statistics (`src/modules/insights/`): the delta (epsilon, delta) are shown at,
 * the budget per analyst key, the contribution bounds that make a query's sensitivity known, and the
 * clean room's terms. Optional: without it, the insights routes answer 404.
 */
export const InsightsSettingsSchema = z.strictObject({
  /** The delta every (epsilon, delta) figure is given at; partition selection spends part of it. */
  delta: z.number().positive().max(1e-3),
  /** Per analyst key and rolling period. */
  budget: PrivacyBudgetSchema,
  /** Defaults for every query; a query may only lower them. */
  contribution: z.strictObject({
    /** Rows one shopper may add to one group (L). */
    maxRowsPerGroup: z.int().min(1).max(1000),
    /** Groups one shopper may add to (G). */
    maxGroupsPerSubject: z.int().min(1).max(10_000),
  }),
  /** Clamping bounds per value field, in integer units (price in the shop's currency units). */
  bounds: z.strictObject({ quantity: BoundsSchema, price: BoundsSchema }),
  cleanRoom: z
    .strictObject({
      /** Partner uploads and their matches are deleted after this many days. */
      retentionDays: z.int().min(1).max(365),
      /** Cells whose noisy distinct-shopper count is below this are suppressed. */
      minGroupSize: z.int().min(1).max(100_000),
      /** Per partner key and rolling period. */
      budget: PrivacyBudgetSchema,
    })
    .optional(),
})
export type InsightsSettings = z.infer<typeof InsightsSettingsSchema>

export const CharterSchema = z.strictObject({
  formatVersion: z.literal(1),
  /** BCP 47 language tag of the notice text. */
  language: z
    .string()
    .regex(/^[a-z]{2,3}(-[A-Z]{2})?$/, 'a language tag such as en-GB')
    .default('en'),
  controller: z.strictObject({
    name: text(120),
    contact: z.email(),
    address: text(300).optional(),
  }),
  jurisdictions: z.record(JurisdictionKeySchema, JurisdictionSchema),
  purposes: z.record(PurposeKeySchema, PurposeSchema),
  specialCategories: z.array(z.enum(SPECIAL_CATEGORY_KEYS)).min(1),
  touchpoints: z
    .record(
      z.string().regex(/^[a-z][a-z0-9_]*$/, 'a touchpoint key is lower_snake_case'),
      TouchpointSchema,
    )
    .default({}),
  vendors: z
    .record(
      z.string().regex(/^[a-z][a-z0-9_-]*$/, 'a vendor key is lower-case, like ad-network'),
      VendorSchema,
    )
    .default({}),
  prompts: z
    .strictObject({
      /** Show a progressive consent prompt for one purpose at most once in this many days. */
      repeatAfterDays: z.int().min(1).max(365),
    })
    .default({ repeatAfterDays: 30 }),
  tcf: TcfSettingsSchema.optional(),
  insights: InsightsSettingsSchema.optional(),
})

/** A validated charter. Build one with `parseCharter`, which also enforces the cross-field rules. */
export type Charter = z.infer<typeof CharterSchema>
