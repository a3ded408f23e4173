/**
 * The shopping assistant's types and schemas: the message a shop sends for its shopper, and the answer
 * (the reply, the items with their explanations, the level used and what it used).
 */
import { z } from 'zod'
import { PersonalizationLevelSchema } from '../consent/index.js'
import { CustomerRefSchema } from '../identity/index.js'
import { SessionIdSchema } from '../session/index.js'

/** The charter purpose transcripts are kept under (none kept without the shopper's grant of it). */
export const ASSISTANT_PURPOSE = 'personalize.assistant'
/** The data category that purpose must declare: a chat with the assistant is a search. */
export const ASSISTANT_DATA_CATEGORY = 'user.behavior.search_history'
/** Items in one answer. */
export const ASSISTANT_ITEMS = 5

export const ConversationIdSchema = z
  .string()
  .regex(/^conv_[A-Za-z0-9]{8,40}$/, 'must be conv_ followed by 8 to 40 letters or digits')

export const AssistantMessageSchema = z
  .strictObject({
    conversationId: ConversationIdSchema.optional().describe(
      'The conversation this message continues, as an earlier answer gave it; a new one is started without it',
    ),
    text: z
      .string()
      .trim()
      .min(1)
      .max(500)
      .describe(
        'What the shopper asked, in their words ("a gift under 20 pounds for a tea lover"); a message holding an e-mail address, a phone or a card number is refused (400 naming `text`), as search queries are',
      ),
    subject: CustomerRefSchema.optional().describe(
      "A signed-in shopper: the shop's customer reference",
    ),
    session: SessionIdSchema.optional().describe("An anonymous visit: the shop's session id"),
    jurisdiction: z.string().min(1).max(16).optional(),
  })
  .refine((v) => !(v.subject !== undefined && v.session !== undefined), {
    message: 'give subject or session, not both',
    path: ['session'],
  })
export type AssistantMessage = z.infer<typeof AssistantMessageSchema>

const IntentSourceSchema = z.enum(['candor', 'language_model', 'both'])

const ExplanationSchema = z.object({
  kind: z
    .string()
    .describe(
      "The recommender's reason (buy_again, looked_at, bought_together, similar_to_viewed, popular, trending, new ...) when the item is among its suggestions at this level, else matches_request",
    ),
  sentence: z.string().describe('The reason in plain words, true of the evidence'),
  evidence: z
    .array(z.object({ id: z.string(), title: z.string() }))
    .describe("The items the reason rests on (the shopper's own, or this visit's); may be empty"),
})

export const AssistantItemSchema = z.object({
  id: z.string(),
  title: z.string(),
  price: z.number().nullable().describe('The catalog price (null when the catalog has none)'),
  category: z.array(z.string()),
  explanation: ExplanationSchema,
  match: z.string().describe('What of the request the item answers: the words found, the budget'),
})
export type AssistantItem = z.infer<typeof AssistantItemSchema>

export const AssistantAnswerSchema = z.object({
  conversationId: z
    .string()
    .describe(
      'Send it back with the next message. Only with the shopper’s grant of personalize.assistant is anything of the conversation kept; otherwise it is not stored anywhere',
    ),
  reply: z.string().describe('The answer in plain words, ending with what it used'),
  items: z.array(AssistantItemSchema),
  level: PersonalizationLevelSchema.describe('The level the items were ranked at'),
  levelReason: z.string(),
  used: z
    .string()
    .describe(
      'What the ranking used, in plain words: "only what you searched for" at off; this visit at session; "your past orders" only at personal',
    ),
  understood: z
    .object({
      budget: z.object({ min: z.number().optional(), max: z.number().optional() }).optional(),
      category: z.string().optional(),
      occasion: z.string().optional(),
      recipient: z.string().optional(),
      terms: z.array(z.string()),
      from: z
        .object({
          budget: IntentSourceSchema.optional(),
          category: IntentSourceSchema.optional(),
          occasion: IntentSourceSchema.optional(),
          recipient: IntentSourceSchema.optional(),
          terms: IntentSourceSchema.optional(),
        })
        .optional()
        .describe(
          'Only when the language model read the message too: who read each part. candor: its own parser (which wins on what it read); language_model: the model filled what the parser missed; both: some of each (one budget end each, or search words from both)',
        ),
    })
    .describe('What the message was read as'),
  kept: z
    .boolean()
    .describe('Whether this message and its answer were kept (under personalize.assistant)'),
  phrasedBy: z
    .enum(['candor', 'language_model'])
    .describe('Who wrote the reply: Candor itself, or the configured language model'),
})
export type AssistantAnswer = z.infer<typeof AssistantAnswerSchema>
