/**
 * How an answer looks over HTTP: the links each item carries ("not this" as a ready-made feedback
 * request, "stop personalizing" as a settings request, "why" as the privacy center's anchor) and the
 * JSON, written by a serializer that fast-json-stringify compiles from the documented response schema
 * (`RecommendationAnswerSchema`), so the schema that documents the answer is the one that writes it.
 */
import fastJson from 'fast-json-stringify'
import { z } from 'zod'
import type { Answer } from './answer.js'
import { type RecommendationAnswer, RecommendationAnswerSchema } from './recommend.js'

/** Where feedback on an answer goes (`POST`), as its "not this" link says. */
const FEEDBACK_HREF = '/v1/feedback'

type AnswerItemBody = RecommendationAnswer['items'][number]

/** The answer with its links, as `GET /v1/recommendations` sends it. */
export function answerBody(answer: Answer): RecommendationAnswer {
  const { recommId, subject, session } = answer
  const stopPersonalizing =
    subject === undefined
      ? undefined
      : {
          method: 'PUT' as const,
          href: `/v1/subjects/${encodeURIComponent(subject)}/settings`,
          body: { level: 'off' },
        }
  const items = answer.items.map((item): AnswerItemBody => {
    // Feedback names the shopper or visit as the question did.
    const body: Record<string, unknown> =
      subject !== undefined ? { subject } : session !== undefined ? { session } : {}
    body.kind = 'not_interested'
    body.item = item.id
    body.recommId = recommId
    const links: AnswerItemBody['links'] = {
      notThis: { method: 'POST', href: FEEDBACK_HREF, body },
      why: `/privacy#why-${encodeURIComponent(item.id)}`,
    }
    if (stopPersonalizing !== undefined) links.stopPersonalizing = stopPersonalizing
    return {
      id: item.id,
      title: item.title,
      category: item.category,
      ...(item.price === undefined ? {} : { price: item.price }),
      explanation: item.explanation,
      links,
    }
  })
  const body: RecommendationAnswer = {
    recommId,
    level: answer.level,
    levelReason: answer.levelReason,
    items,
  }
  if (answer.prompt !== undefined) body.prompt = answer.prompt
  if (answer.cap !== undefined) body.cap = answer.cap
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

/** `RecommendationAnswerSchema` as JSON Schema, with the links' bodies as `LinkBodySchemas` says. */
function serializerSchema(): JsonSchema {
  const toJson = (schema: z.ZodType) =>
    z.toJSONSchema(schema, { target: 'draft-7', io: 'output' }) as unknown as JsonSchema &
      Record<string, unknown>
  const answer = toJson(RecommendationAnswerSchema)
  const links = answer.properties.items!.items.properties.links!.properties
  for (const [name, body] of Object.entries(LinkBodySchemas)) {
    const { $schema: _, ...bodySchema } = toJson(body)
    links[name]!.properties.body = bodySchema
  }
  return answer
}

/** The serializer, compiled on first use. */
let compiled: ((answer: RecommendationAnswer) => string) | undefined

/**
 * The answer's JSON, by a serializer fast-json-stringify compiles from `RecommendationAnswerSchema`
 * (the hottest route's answer: faster than validating it with zod and `JSON.stringify`). Fields the
 * schema does not name are not written; the tests check every answer against the schema.
 */
export function serializeAnswer(answer: RecommendationAnswer): string {
  compiled ??= fastJson(serializerSchema() as unknown as Parameters<typeof fastJson>[0])
  return compiled(answer)
}
