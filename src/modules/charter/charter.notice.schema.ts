/**
 * The privacy notice as `GET /v1/notice` documents and sends it: the schema of `Notice` (the answer is
 * serialized through it, so it names every field `renderNotice` writes: `test/openapi.test.ts` checks the
 * answer against `renderNotice` field by field) and the example `/docs` shows, a shortened notice of the
 * demo shop.
 */
import { z } from 'zod'
import { withExample } from '../../http/openapi.js'
import type { Notice } from './charter.notice.js'
import { renderNoticeHtml } from './charter.notice.html.js'

const PurposeSchema = z.object({
  key: z.string(),
  title: z.string(),
  youGet: z.string().describe('What the shopper gets'),
  itCosts: z
    .object({ data: z.array(z.string()), keptFor: z.string(), sharedWith: z.array(z.string()) })
    .describe('What it costs them: the data, how long it is kept, who else gets it'),
  yourChoice: z.string().describe("How the shopper's choice works for this purpose"),
  whereYouLive: z
    .array(z.object({ place: z.string(), rule: z.string() }))
    .optional()
    .describe('For purposes whose default differs by place: the rule in each declared place'),
  saleOrSharing: z.boolean().describe('Whether Global Privacy Control opts the shopper out of it'),
  specialCategory: z
    .string()
    .optional()
    .describe(
      'The special category it uses, in plain words; chosen on its own, never by "Accept all"',
    ),
  federated: z
    .string()
    .optional()
    .describe(
      'For the federated purpose: what the browser sends and how often, and the epsilon per contribution and per day with what they mean, in plain words',
    ),
})

const ListSchema = z.object({ intro: z.string(), items: z.array(z.string()) })

/** `Notice` (charter.notice.ts) as a schema. */
export const NoticeSchema = z.object({
  version: z.string().describe('Content hash of the charter; consent records point to it'),
  language: z.string(),
  title: z.string(),
  controller: z.object({ name: z.string(), contact: z.string(), address: z.string().optional() }),
  summary: z.array(z.string()),
  levels: z.array(
    z.object({
      level: z.enum(['off', 'session', 'personal', 'on_device']),
      title: z.string(),
      text: z.string(),
    }),
  ),
  groups: z.array(
    z.object({
      id: z.enum([
        'needed',
        'ask_first',
        'depends_on_where_you_live',
        'unless_you_say_no',
        'only_if_you_turn_it_on',
      ]),
      heading: z.string(),
      intro: z.string(),
      purposes: z.array(PurposeSchema),
    }),
  ),
  neverInferred: ListSchema,
  contactLimits: ListSchema,
  sharedWith: z.array(
    z.object({
      name: z.string(),
      country: z.string(),
      role: z.string(),
      purposes: z.array(z.string()),
    }),
  ),
  gpc: z.string(),
  yourRights: z.array(z.string()),
  places: z
    .array(
      z.object({
        code: z.string(),
        title: z.string(),
        consentRequired: z.boolean(),
        rule: z.string(),
      }),
    )
    .describe('The places the charter knows, by the code a consent answer names'),
  statistics: z
    .object({
      purposes: z
        .array(z.object({ key: z.string(), title: z.string() }))
        .describe('The purposes whose data feeds statistics (aggregateAnalytics)'),
      text: z
        .string()
        .describe('What that means and how differential privacy protects the shopper'),
      cleanRoom: z
        .array(
          z.object({
            key: z.string(),
            title: z.string(),
            partners: z.array(z.string()),
            text: z.string(),
          }),
        )
        .describe('Per clean-room purpose: the partners and what they get'),
    })
    .describe(
      'Which purposes feed statistics, protected by differential privacy, and the clean room',
    ),
  modelCard: z
    .object({
      page: z.string().describe('The privacy center page "How suggestions work"'),
      api: z.string().describe('The model card as JSON (GET, public)'),
      text: z.string(),
    })
    .describe('Where the model card is: how suggestions are made and where they may be biased'),
})

/** Every notice fits the schema (a field added to `Notice` but not here fails `test/openapi.test.ts`). */
export const noticeFitsSchema = (notice: Notice): z.input<typeof NoticeSchema> => notice

const CLOUD = 'Example Cloud Hosting Ltd (GB)'

/** The demo shop's notice, shortened to one purpose per group. */
export const NOTICE_EXAMPLE: Notice = {
  version: 'dc2a8812386172cc13f1532fc884fe346f21ecb333738e967ef49ed710392c8d',
  language: 'en-GB',
  title: 'How Demo Giftware Ltd uses your data',
  controller: {
    name: 'Demo Giftware Ltd',
    contact: 'privacy@demo-giftware.example',
    address: '1 Example Street, Leeds LS1 1AA, United Kingdom',
  },
  summary: [
    'Demo Giftware Ltd runs this shop and decides how your data is used.',
    'We only use your data for the reasons below.',
    'Anything personal is off until you say yes, except where the law lets us go ahead until you say no.',
    'We never sell or share your data for advertising without your yes.',
    'Questions? Write to privacy@demo-giftware.example.',
  ],
  levels: [
    { level: 'off', title: 'Off', text: 'Nothing personal. You see popular and new products.' },
    {
      level: 'session',
      title: 'This visit only',
      text: 'Suggestions based on this visit. We forget it when you leave.',
    },
    {
      level: 'personal',
      title: 'Personal',
      text: 'Suggestions based on your history. Only with your yes.',
    },
    {
      level: 'on_device',
      title: 'On this device only',
      text: 'Suggestions based on your history, kept and worked out in this browser only. We store nothing about you. Only with your yes.',
    },
  ],
  groups: [
    {
      id: 'needed',
      heading: 'What we need to run the shop',
      intro: 'The shop does not work without these.',
      purposes: [
        {
          key: 'essential.service',
          title: 'Running the shop',
          youGet:
            'The shop works. We remember your basket and your privacy choices, and we show popular and new products to everyone.',
          itCosts: {
            data: ['a random code that stands for you', 'a cookie code stored in your browser'],
            keptFor: 'Kept for 6 years, then deleted.',
            sharedWith: [CLOUD],
          },
          yourChoice: 'You cannot turn this off while you use the shop.',
          saleOrSharing: false,
        },
      ],
    },
    {
      id: 'ask_first',
      heading: 'What we only do if you say yes',
      intro: 'These are off until you turn them on.',
      purposes: [
        {
          key: 'personalize.recommendations',
          title: 'Suggestions based on your history',
          youGet: 'We suggest gifts that fit what you looked at and bought before, on every visit.',
          itCosts: {
            data: ['the products and pages you look at', 'what you buy', 'what you search for'],
            keptFor: 'Kept for 1 year, then deleted.',
            sharedWith: [CLOUD],
          },
          yourChoice: 'Off until you say yes. You can change your mind at any time.',
          saleOrSharing: false,
        },
      ],
    },
    {
      id: 'depends_on_where_you_live',
      heading: 'What depends on where you live',
      intro: 'Some laws ask us to get your yes first. Others let us go ahead until you say no.',
      purposes: [
        {
          key: 'personalize.session',
          title: 'Suggestions based on this visit',
          youGet:
            'While you browse, we suggest products like the ones you just looked at. We forget it all when your visit ends.',
          itCosts: {
            data: ['the products and pages you look at', 'what you search for'],
            keptFor: 'Deleted when your visit ends.',
            sharedWith: [CLOUD],
          },
          yourChoice:
            'Where the law asks us to, we ask you first. Elsewhere it is on unless you say no.',
          whereYouLive: [
            { place: 'United Kingdom', rule: 'We ask you first.' },
            { place: 'California', rule: 'On unless you say no.' },
          ],
          saleOrSharing: false,
        },
      ],
    },
  ],
  neverInferred: {
    intro:
      'We never guess these things about you. We never use them to choose what you see, unless you turn that on yourself (see above).',
    items: ['your health', 'your genes'],
  },
  contactLimits: {
    intro: 'How often we may reach you:',
    items: ['Suggestions on product and basket pages: at most 50 times every day.'],
  },
  sharedWith: [
    {
      name: 'Example Cloud Hosting Ltd',
      country: 'GB',
      role: 'Works for us and only on our instructions.',
      purposes: ['Running the shop', 'Suggestions based on this visit'],
    },
  ],
  gpc: 'If your browser sends the Global Privacy Control signal, we take it as a no to selling or sharing your data for advertising. If you later say yes here, your yes counts.',
  yourRights: [
    'You can see the data we hold about you.',
    'You can download it.',
    'You can have it corrected.',
  ],
  statistics: {
    purposes: [{ key: 'analytics.reporting', title: 'Counting what sells' }],
    text: 'What we keep for "Counting what sells" also feeds our statistics, such as how many people bought a product each week. These statistics are protected by differential privacy. This means the counts are blurred with random noise, so no answer shows whether you are in it. Our staff see only these blurred totals, never your own rows.',
    cleanRoom: [
      {
        key: 'analytics.clean_room',
        title: 'Shopping figures shared with our advertising partner',
        partners: ['Example Retail Media Ltd (GB)'],
        text: 'Only if you say yes. Example Retail Media Ltd (GB) can find out how many of their own customers also shop with us, and what groups of them buy. Your e-mail address is compared in a scrambled form that neither side can turn back into an address. The partner only ever gets blurred totals over groups big enough to hide you, never your name, your address or a single purchase.',
      },
    ],
  },
  modelCard: {
    page: '/privacy/suggestions',
    api: '/v1/model-card',
    text: 'How suggestions work: the data each level uses, how suggestions are made, how well they work and where they may be biased.',
  },
  places: [
    {
      code: 'UK',
      title: 'United Kingdom',
      consentRequired: true,
      rule: 'We ask you before anything that is not needed to run the shop.',
    },
    {
      code: 'US-CA',
      title: 'California',
      consentRequired: false,
      rule: 'Some things are on until you say no; this notice says which.',
    },
  ],
}

/** The answer of `GET /v1/notice`: JSON, or the same notice as an HTML page. */
export const NOTICE_ANSWER = {
  description: 'The notice as JSON, or as an HTML page (Accept: text/html, or format=html)',
  content: {
    'application/json': { schema: withExample(NoticeSchema, noticeFitsSchema(NOTICE_EXAMPLE)) },
    'text/html': { schema: withExample(z.string(), renderNoticeHtml(NOTICE_EXAMPLE)) },
  },
}
