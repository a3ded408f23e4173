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

/** The answer with its links, as `GET /v1/recommendations` sends it. */
export function answerBody(answer: Answer): RecommendationAnswer {
  const { recommId, subject, session } = answer
  // Feedback names the shopper or visit as the question did.
  const owner =
    subject !== undefined ? { subject } : session !== undefined ? { session } : undefined
  const stopPersonalizing =
    subject === undefined
      ? undefined
      : {
          method: 'PUT' as const,
          href: `/v1/subjects/${encodeURIComponent(subject)}/settings`,
          body: { level: 'off' },
        }
  return {
    recommId,
    level: answer.level,
    levelReason: answer.levelReason,
    items: answer.items.map((item) => ({
      ...item,
      links: {
        notThis: {
          method: 'POST',
          href: FEEDBACK_HREF,
          body: { ...owner, kind: 'not_interested', item: item.id, recommId },
        },
        ...(stopPersonalizing === undefined ? {} : { stopPersonalizing }),
        why: `/privacy#why-${encodeURIComponent(item.id)}`,
      },
    })),
    ...(answer.prompt === undefined ? {} : { prompt: answer.prompt }),
    ...(answer.cap === undefined ? {} : { cap: answer.cap }),
  }
}

/** `RecommendationAnswerSchema` compiled, on first use. */
let compiled: ((answer: RecommendationAnswer) => string) | undefined

/**
 * The answer's JSON, by `RecommendationAnswerSchema` compiled to a serializer (the hottest route's
 * answer: several times faster than validating it with zod and `JSON.stringify`). Fields the schema does
 * not name are not written; the tests check every answer against the schema.
 */
export function serializeAnswer(answer: RecommendationAnswer): string {
  compiled ??= fastJson(
    z.toJSONSchema(RecommendationAnswerSchema, { target: 'draft-7', io: 'output' }) as Parameters<
      typeof fastJson
    >[0],
  )
  return compiled(answer)
}
