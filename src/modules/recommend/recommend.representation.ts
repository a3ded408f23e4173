/**
 * How an answer looks over HTTP: the links each item carries ("not this" as a ready-made feedback
 * request, "stop personalizing" as a settings request, "why" as the privacy center's anchor) and the
 * JSON, written by serializers that fast-json-stringify compiles from the documented response schema
 * (`RecommendationAnswerSchema`), so the schema that documents the answer is the one that writes it.
 *
 * The route is the hottest one, and an answer's items are shared by every answer to the same question
 * while its ranking is kept (`answer.ts`): each item's JSON without its links is written once, kept
 * with the item, and only the links (which name this answer) and the envelope are written per request.
 */
import fastJson from 'fast-json-stringify'
import { z } from 'zod'
import type { Answer } from './answer.js'
import type { ExplainedItem } from './explanations.js'
import {
  type RecommendationAnswer,
  RecommendationAnswerSchema,
  RecommendedItemSchema,
} from './recommend.js'

/** Where feedback on an answer goes (`POST`), as its "not this" link says. */
const FEEDBACK_HREF = '/v1/feedback'

type AnswerItemBody = RecommendationAnswer['items'][number]
type Links = AnswerItemBody['links']

/** The "stop personalizing" link of an answer to a shopper (none for a visit or nobody). */
function stopPersonalizingOf(subject: string | undefined): Links['stopPersonalizing'] {
  return subject === undefined
    ? undefined
    : {
        method: 'PUT',
        href: `/v1/subjects/${encodeURIComponent(subject)}/settings`,
        body: { level: 'off' },
      }
}

/**
 * A "not this" link: a ready-made feedback request that hides `item` for the shopper or visit the
 * question named. Offers carry the same link (with their own id as the item).
 */
export function notThisLink(answer: {
  recommId: string
  subject: string | undefined
  session: string | undefined
  item: string
}): Links['notThis'] {
  const { recommId, subject, session } = answer
  const body: Record<string, unknown> =
    subject !== undefined ? { subject } : session !== undefined ? { session } : {}
  body.kind = 'not_interested'
  body.item = answer.item
  body.recommId = recommId
  return { method: 'POST', href: FEEDBACK_HREF, body }
}

/** An item's links in an answer: "not this" names the shopper or visit as the question did. */
function linksOf(answer: Answer, item: ExplainedItem, stop: Links['stopPersonalizing']): Links {
  const { recommId, subject, session } = answer
  const links: Links = {
    notThis: notThisLink({ recommId, subject, session, item: item.id }),
    why: `/privacy#why-${encodeURIComponent(item.id)}`,
  }
  if (stop !== undefined) links.stopPersonalizing = stop
  return links
}

/** An item's fields as the answer shows them, without its links (`price` only when it has one). */
function coreOf(item: ExplainedItem): Omit<AnswerItemBody, 'links'> {
  const { id, title, category, price, explanation } = item
  return { id, title, category, ...(price === undefined ? {} : { price }), explanation }
}

/** The answer with its links, as `GET /v1/recommendations` sends it. */
export function answerBody(answer: Answer): RecommendationAnswer {
  const stop = stopPersonalizingOf(answer.subject)
  const body: RecommendationAnswer = {
    recommId: answer.recommId,
    level: answer.level,
    levelReason: answer.levelReason,
    items: answer.items.map((item) => ({ ...coreOf(item), links: linksOf(answer, item, stop) })),
  }
  if (answer.prompt !== undefined) body.prompt = answer.prompt
  if (answer.cap !== undefined) body.cap = answer.cap
  if (answer.experiment !== undefined) body.experiment = answer.experiment
  return body
}

/**
 * What the links' bodies hold, as the representation writes them: the documented schema says only
 * "an object" (`RecommendationAnswerSchema`), which a serializer can only write field by field as
 * unknown values (several times slower); the serializer is told their fields.
 */
const LinkBodySchemas = {
  notThis: z.object({
    subject: z.string().optional(),
    session: z.string().optional(),
    kind: z.literal('not_interested'),
    item: z.string(),
    recommId: z.string(),
  }),
  stopPersonalizing: z.object({ level: z.literal('off') }),
}

type JsonSchema = { properties: Record<string, JsonSchema>; items: JsonSchema }
type Serializer<T> = (value: T) => string

const toJsonSchema = (schema: z.ZodType) =>
  z.toJSONSchema(schema, { target: 'draft-7', io: 'output' }) as unknown as JsonSchema &
    Record<string, unknown>

const compile = <T>(schema: JsonSchema): Serializer<T> =>
  fastJson(schema as unknown as Parameters<typeof fastJson>[0])

/** An item's links as JSON Schema, with the links' bodies as `LinkBodySchemas` says. */
function linksSchema(): JsonSchema {
  const links = toJsonSchema(RecommendedItemSchema.shape.links)
  for (const [name, body] of Object.entries(LinkBodySchemas)) {
    const { $schema: _, ...bodySchema } = toJsonSchema(body)
    links.properties[name]!.properties.body = bodySchema
  }
  return links
}

/** The serializers of an answer's parts, compiled from the schema on first use. */
interface Serializers {
  /** `{recommId, level, levelReason}` (the envelope's fields before `items`). */
  head: Serializer<Pick<RecommendationAnswer, 'recommId' | 'level' | 'levelReason'>>
  /** `{prompt?, cap?, experiment?}` (the envelope's fields after `items`). */
  tail: Serializer<Pick<RecommendationAnswer, 'prompt' | 'cap' | 'experiment'>>
  /** An item without its links (the schema's last field). */
  item: Serializer<Omit<AnswerItemBody, 'links'>>
  links: Serializer<Links>
}

let compiled: Serializers | undefined

function compileSerializers(): Serializers {
  const answer = RecommendationAnswerSchema.shape
  return {
    head: compile(
      toJsonSchema(
        z.object({
          recommId: answer.recommId,
          level: answer.level,
          levelReason: answer.levelReason,
        }),
      ),
    ),
    tail: compile(
      toJsonSchema(
        z.object({ prompt: answer.prompt, cap: answer.cap, experiment: answer.experiment }),
      ),
    ),
    item: compile(toJsonSchema(RecommendedItemSchema.omit({ links: true }))),
    links: compile(linksSchema()),
  }
}

/** Each item's JSON without its links, written the first time an answer carries it. */
const itemJson = new WeakMap<ExplainedItem, string>()

function itemJsonOf(item: ExplainedItem, write: Serializers['item']): string {
  let json = itemJson.get(item)
  if (json === undefined) {
    json = write(coreOf(item))
    itemJson.set(item, json)
  }
  return json
}

/**
 * The answer's JSON (`answerBody`'s, field for field and in the schema's order), from the serializers
 * fast-json-stringify compiles from `RecommendationAnswerSchema`'s parts: each part is a JSON object,
 * and an object's last `}` is where the next field goes. Fields the schema does not name are not
 * written; the tests check every answer against the schema.
 */
export function answerJson(answer: Answer): string {
  const write = (compiled ??= compileSerializers())
  const stop = stopPersonalizingOf(answer.subject)
  let items = ''
  for (const item of answer.items) {
    const core = itemJsonOf(item, write.item)
    const links = write.links(linksOf(answer, item, stop))
    items += `${items === '' ? '' : ','}${core.slice(0, -1)},"links":${links}}`
  }
  const head = write.head(answer)
  const tail = write.tail({
    ...(answer.prompt === undefined ? {} : { prompt: answer.prompt }),
    ...(answer.cap === undefined ? {} : { cap: answer.cap }),
    ...(answer.experiment === undefined ? {} : { experiment: answer.experiment }),
  })
  return `${head.slice(0, -1)},"items":[${items}]${tail === '{}' ? '' : `,${tail.slice(1, -1)}`}}`
}
