import { z } from 'zod'
import { PersonalizationLevelSchema } from '../consent/index.js'
import { CustomerRefSchema } from '../identity/index.js'
import { REASON_KINDS } from './engine/index.js'

export const ReasonKindSchema = z.enum(REASON_KINDS)

export const PLACEMENTS = ['home', 'product', 'cart', 'email', 'category', 'assistant'] as const

const ItemId = z.string().min(1).max(64)

/**
 * Who a storefront query is for: a signed-in shopper or an anonymous visit (recommendations, offers).
 * Spread into the query's object, with `.refine(...NOT_BOTH_SHOPPERS)` after it.
 */
export const SHOPPER_FIELDS = {
  subject: CustomerRefSchema.optional().describe(
    "A signed-in shopper: the shop's customer reference",
  ),
  session: z
    .string()
    .min(8)
    .max(200)
    .optional()
    .describe("An anonymous visit: the shop's session id"),
}
type ShopperRefs = { subject?: string | undefined; session?: string | undefined }
export const NOT_BOTH_SHOPPERS: [(q: ShopperRefs) => boolean, { message: string; path: string[] }] =
  [
    (q) => !(q.subject !== undefined && q.session !== undefined),
    { message: 'give subject or session, not both', path: ['session'] },
  ]

export const RecommendationQuerySchema = z
  .object({
    ...SHOPPER_FIELDS,
    placement: z.enum(PLACEMENTS).default('home'),
    limit: z.coerce.number().int().min(1).max(100).default(10),
    item: ItemId.optional().describe(
      'The product on the page: never recommended back; its bought-together items (from the aggregate neighbour model, nothing personal) lead the `off` answer as `bought_with_item`, and the `session` answer as far as it mixes in the `off` one',
    ),
    exclude: z
      .string()
      .max(4000)
      .optional()
      .describe('Comma-separated item ids not to show (the cart, say)'),
    category: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .describe(
        "Only items under this category path (a/b), the category's popular items first; 404 (`not_found`, naming `querystring.category`) when no catalog item is under it",
      ),
    inStock: z
      .enum(['true', 'false'])
      .optional()
      .describe('Only items available now (default true)'),
    jurisdiction: z.string().min(1).max(16).optional(),
  })
  .refine(...NOT_BOTH_SHOPPERS)
export type RecommendationQuery = z.infer<typeof RecommendationQuerySchema>

export const ExplanationSchema = z.object({
  kind: ReasonKindSchema.describe(
    "buy_again (the shopper bought it), looked_at (they only viewed it or put it in a basket), bought_together (bought with their items), similar_to_viewed (goes with this visit's items), bought_with_item (bought with the product on the page), new_in_category (new, in a category of their items), popular, trending, new",
  ),
  sentence: z.string().describe('The reason in plain words, true of the evidence'),
  evidence: z
    .array(z.object({ id: z.string(), title: z.string() }))
    .describe(
      "The items the reason rests on: the shopper's own (or this visit's) items, or the page's product for bought_with_item; empty for popular, trending and new",
    ),
})

export const RecommendedItemSchema = z.object({
  id: z.string(),
  title: z.string(),
  category: z.array(z.string()),
  price: z.number().optional(),
  explanation: ExplanationSchema,
  links: z.object({
    notThis: z.object({
      method: z.literal('POST'),
      href: z.string(),
      body: z.record(z.string(), z.unknown()),
    }),
    stopPersonalizing: z
      .object({
        method: z.literal('PUT'),
        href: z.string(),
        body: z.record(z.string(), z.unknown()),
      })
      .optional(),
    why: z.string(),
  }),
})

export const RecommendationAnswerSchema = z.object({
  recommId: z.string(),
  level: PersonalizationLevelSchema,
  levelReason: z.string(),
  items: z.array(RecommendedItemSchema),
  prompt: z
    .object({
      purpose: z.string(),
      title: z.string(),
      benefit: z.string(),
      noticeVersion: z.string(),
    })
    .optional(),
  cap: z
    .object({
      touchpoint: z.string().describe('The charter touchpoint whose frequency cap was reached'),
      max: z.int(),
      perDays: z.int(),
      resetsAt: z.string().describe('When the window ends (UTC); personal answers resume then'),
    })
    .optional()
    .describe(
      'Present when the charter frequency cap of the touchpoint was reached: the answer then falls back to `off` (nothing about the shopper used)',
    ),
  experiment: z
    .object({ id: z.string(), variant: z.string() })
    .optional()
    .describe(
      'Present when the shopper is enrolled in a running experiment over recommendation parameters: the experiment and the variant this answer was ranked under (views, baskets, purchases and "not this" citing the recommId count for that variant)',
    ),
})
export type RecommendationAnswer = z.infer<typeof RecommendationAnswerSchema>

/** How long the answer log (`recommId`, level, placement, items) is kept: online quality looks this far back. */
export const ANSWER_LOG_DAYS = 30

export const OnlineQualityQuerySchema = z.object({
  days: z.coerce
    .number()
    .int()
    .min(1)
    .max(ANSWER_LOG_DAYS)
    .default(ANSWER_LOG_DAYS)
    .describe('Answers given in the last this many days'),
})

const OnlineGroupSchema = z.object({
  level: z.string(),
  placement: z.string(),
  answers: z.number(),
  viewed: z
    .number()
    .describe('Answers with at least one cited view of one of their items (likewise carted ...)'),
  carted: z.number(),
  purchased: z.number(),
  notInterested: z.number(),
  viewRate: z.number().describe('viewed per answer, 4 decimals (likewise cartRate ...)'),
  cartRate: z.number(),
  purchaseRate: z.number(),
  notInterestedRate: z.number(),
})
export type OnlineGroup = z.infer<typeof OnlineGroupSchema>

export const OnlineQualitySchema = z.object({
  since: z.string(),
  until: z.string(),
  minAnswers: z.number(),
  groups: z.array(OnlineGroupSchema).describe('Largest first; small groups merged into `other`'),
  total: OnlineGroupSchema.describe('The shown groups together (withheld answers are not in it)'),
  withheld: z
    .object({ groups: z.number(), answers: z.number() })
    .describe('Groups too small to show even merged: only how many answers there were'),
})
export type OnlineQuality = z.infer<typeof OnlineQualitySchema>

/** Training runs `GET /v1/recommendations/quality` gives in `runs` (the most recent, oldest first). */
export const TRAINING_RUNS_SHOWN = 30

const figure = (what: string) =>
  z
    .number()
    .nullable()
    .optional()
    .describe(`${what}; null when the held-out period gave nothing to measure it on`)

/** One level's (or one trivial answer's) ranking quality on the held-out period. */
const LevelFiguresSchema = z
  .object({
    recall20: figure(
      'Recall@20: share of the items a held-out shopper went on to buy that are among the first 20 suggestions (of at most 20 of them), averaged over shoppers',
    ),
    ndcg10: figure('NDCG@10 with binary gain: how high up the first 10 suggestions they are'),
    newRecall20: figure(
      'New-item Recall@20: Recall@20 counting only items the shopper had not had before (shoppers with none are left out)',
    ),
  })
  .describe('Ranking quality on the held-out period, averaged over its shoppers')

const paramValue = (what: string) => z.number().optional().describe(what)

/**
 * The engine's parameters as a run chose them (`EngineParams`, whose meaning `engine/params.ts`
 * documents). Every field is optional: stored runs keep the parameters of the engine that trained them.
 */
const EngineParamsSchema = z
  .object({
    item: z
      .object({
        tauDays: paramValue(
          "Recency decay (days) of a shopper's items in the co-occurrence; 0: none",
        ),
        subjectExponent: paramValue(
          'Exponent gamma of the per-shopper normalisation 1 / |u|^gamma',
        ),
        alpha: paramValue('Exponent on the degree of the source item'),
        beta: paramValue('Exponent on the degree of the recommended item: the popularity penalty'),
        neighbours: paramValue('Neighbours kept per item'),
        recentDays: paramValue('Window (days) for recent popularity and, doubled, for trending'),
        easeItems: paramValue('Items the EASE component models (the most held ones); 0: none'),
        easeLambda: paramValue("EASE's ridge lambda, times the mean diagonal of its Gram matrix"),
      })
      .optional()
      .describe('How the neighbour model is built'),
    personal: z
      .object({
        repeatTauDays: paramValue(
          "Decay (days) of a repeat purchase's weight with its age; 0: none",
        ),
        repeatUnit: z
          .string()
          .optional()
          .describe('What one repeat counts: `day` (each distinct day) or `event`'),
        repeatPropensityExponent: paramValue(
          "Exponent on the item's repeat propensity (shoppers who bought it again / who bought it)",
        ),
        recentShareExponent: paramValue(
          "Exponent on the item's recent share (shoppers in the recent window / all its shoppers)",
        ),
        repeatWeight: paramValue('Weight of the repeat score'),
        otherWeight: paramValue("Weight of the other items' score (neighbours and popularity)"),
        sourceTauDays: paramValue(
          'Decay (days) of a history item as a source of neighbours, by the age of its last event; 0: each counts once',
        ),
        neighbourWeight: paramValue('Weight of the neighbour score within the other items'),
        easeWeight: paramValue(
          'Share of the EASE score in the neighbour score (0: item neighbours only)',
        ),
        popularityWeight: paramValue('Weight of the popularity prior within the other items'),
        popularityRecent: paramValue(
          'Share of recent popularity in the prior (0: all-time shoppers per item, 1: recent only)',
        ),
      })
      .optional()
      .describe("The `personal` level's scoring"),
    session: z
      .object({
        recencyDecay: paramValue(
          'Weight ratio between consecutive items of the visit, latest first',
        ),
        neighbourWeight: paramValue("Weight of the neighbours of the visit's items"),
        offWeight: paramValue('Weight of the `off` ranking (neighbourWeight 0: the `off` answer)'),
      })
      .optional()
      .describe("The `session` level's scoring"),
  })
  .describe(
    'The parameters the model was trained and scores with (see src/modules/recommend/engine/params.ts)',
  )

/**
 * What a training run stores as its `quality`: the engine's `TuningReport`. Every field is optional,
 * since runs stored before the report existed hold `{}`.
 */
export const TuningReportSchema = z
  .object({
    tuned: z
      .boolean()
      .optional()
      .describe(
        "Whether the parameters were chosen on the shop's own held-out period (false: the defaults, see note)",
      ),
    note: z.string().optional().describe('Why the run was not tuned, or anything else to know'),
    validation: z
      .object({
        from: z.number().optional().describe('Start of the held-out period (ms since 1970, UTC)'),
        until: z.number().optional().describe('End of the held-out period (ms since 1970, UTC)'),
        shoppers: z.number().optional().describe('Shoppers measured on the held-out period'),
        trainEvents: z
          .number()
          .optional()
          .describe('Events before the period that the candidates were trained on'),
      })
      .optional()
      .describe('The held-out period: the most recent stretch of history, kept out to measure on'),
    candidates: z.number().optional().describe('Parameter sets evaluated'),
    figures: z
      .object({
        personal: LevelFiguresSchema.optional().describe('The `personal` level as chosen'),
        session: LevelFiguresSchema.optional().describe('The `session` level as chosen'),
        off: LevelFiguresSchema.optional().describe('The `off` level (nothing about the shopper)'),
        topPop: LevelFiguresSchema.optional().describe(
          'Trivial answer: the most popular items, for everyone',
        ),
        repeatFreq: LevelFiguresSchema.optional().describe(
          "Trivial answer: the shopper's own most bought items, ties by popularity",
        ),
      })
      .optional()
      .describe('Figures on the held-out period, beside two trivial answers to compare them with'),
    params: EngineParamsSchema.optional(),
  })
  .describe(
    'How the run chose its parameters and how well it ranked on held-out data (`{}` for runs from before the report)',
  )
export type TuningReportJson = z.infer<typeof TuningReportSchema>

export const TrainingRunSchema = z.object({
  id: z.string().describe('tr_..., sortable by time'),
  trainedAt: z.string().describe('When it trained (ISO 8601, UTC)'),
  subjects: z.number().describe('Shoppers whose consented histories it learned from'),
  items: z.number().describe('Items it knows (the catalog and items in events)'),
  events: z.number().describe('Events it learned from'),
  seconds: z.number().describe('How long it took'),
  quality: TuningReportSchema,
})

export const QualityAnswerSchema = z.object({
  run: TrainingRunSchema.nullable().describe('The latest training run (null: none yet)'),
  runs: z
    .array(TrainingRunSchema)
    .describe(
      `The last ${TRAINING_RUNS_SHOWN} training runs, oldest first (the last one is \`run\`)`,
    ),
  online: OnlineQualitySchema,
})

export const FeedbackSchema = z
  .strictObject({
    subject: CustomerRefSchema.optional(),
    session: z.string().min(8).max(200).optional(),
    kind: z.enum(['not_interested', 'too_personal', 'rating']),
    item: ItemId.optional(),
    reasonKind: ReasonKindSchema.optional().describe(
      'For too_personal: the kind of reason not to use again',
    ),
    rating: z.int().min(1).max(5).optional(),
    recommId: z.string().max(40).optional(),
  })
  .refine((f) => (f.subject === undefined) !== (f.session === undefined), {
    message: 'give exactly one of subject or session',
    path: ['subject'],
  })
  .refine((f) => f.kind !== 'not_interested' || f.item !== undefined, {
    message: 'not_interested needs the item',
    path: ['item'],
  })
  .refine((f) => f.kind !== 'too_personal' || f.reasonKind !== undefined, {
    message: 'too_personal needs the reasonKind',
    path: ['reasonKind'],
  })
  .refine((f) => f.kind !== 'rating' || (f.rating !== undefined && f.item !== undefined), {
    message: 'rating needs the item and a rating from 1 to 5',
    path: ['rating'],
  })
export type Feedback = z.infer<typeof FeedbackSchema>
