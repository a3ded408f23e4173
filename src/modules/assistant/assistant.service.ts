/**
 * The shopping assistant: a shopper's message read (`assistant.parse.ts`, joined with the language
 * model's reading when one is configured: `assistant.intent.ts`), the catalog searched
 * (`assistant.search.ts`, its index kept by `assistant.catalog.ts`), the matches ranked at the level the
 * shopper's consent allows through the recommender's own ranking (`recommend.ranking`: its level, its
 * scoring and its explanations, never a copy of them, read without logging an answer, counting a cap or
 * enrolling the shopper in an experiment), and the reply written (`assistant.reply.ts`).
 */
import type { AssistantLlmSettings } from '../../config.assistant.js'
import type { Clock } from '../../lib/clock.js'
import { AppError } from '../../lib/errors.js'
import { newSortableId } from '../../lib/ids.js'
import type { Actor } from '../audit/index.js'
import type { AuditLog } from '../audit/index.js'
import type { CatalogService } from '../catalog/index.js'
import type { Charter } from '../charter/index.js'
import type { ConsentService, PersonalizationLevel, RequestSignals } from '../consent/index.js'
import { findPersonalData } from '../events/index.js'
import type { IdentityService } from '../identity/index.js'
import type { RecommendService } from '../recommend/index.js'
import type { SessionService } from '../session/index.js'
import type { Db } from '../../storage/db.js'
import { createCatalogIndexHolder } from './assistant.catalog.js'
import { mergeIntent } from './assistant.intent.js'
import { createPhraser } from './assistant.llm.js'
import { createTranscripts } from './assistant.transcripts.js'
import { parseRequest } from './assistant.parse.js'
import { itemOf, rankHits, replyText, type Suggestion, usedSentence } from './assistant.reply.js'
import { ASSISTANT_ITEMS, type AssistantAnswer, type AssistantMessage } from './assistant.js'

export interface AssistantDeps {
  db: Db
  clock: Clock
  charter: Charter
  audit: AuditLog
  catalog: Pick<CatalogService, 'listItems' | 'listItemsUpdatedSince'>
  recommend: Pick<RecommendService, 'ranking'>
  consent: Pick<ConsentService, 'decide'>
  identity: Pick<IdentityService, 'findSubjectId'>
  session: Pick<SessionService, 'keyOf' | 'liveKey' | 'openNow'>
  /** CANDOR_ASSISTANT_LLM_*: the optional language model (undefined: Candor writes every reply). */
  llm: AssistantLlmSettings | undefined
  /** The language model's HTTP client (the platform's `fetch` by default). */
  fetch?: typeof fetch
}

/** Matches read from the index before ranking (the answer shows `ASSISTANT_ITEMS` of them). */
const CANDIDATES = 50
/** The recommender's suggestions read to rank the matches with (its largest answer). */
const SUGGESTIONS = 100

const PII_NAMES = {
  email: 'an email address',
  phone: 'a phone number',
  card: 'a payment card number',
}

/** Refuses a message that looks like it holds personal data, naming the field, never the text. */
function assertNoPersonalData(text: string): void {
  const kind = findPersonalData(text)
  if (kind === undefined) return
  throw new AppError('validation_failed', 'The text looks like it holds personal data', {
    issues: [
      {
        field: 'body.text',
        reason: `looks like it holds personal data (${PII_NAMES[kind]}): send it without`,
      },
    ],
  })
}

export type AssistantService = ReturnType<typeof createAssistantService>

export function createAssistantService(deps: AssistantDeps) {
  const index = createCatalogIndexHolder(deps)
  const transcripts = createTranscripts(deps)
  const phraser =
    deps.llm === undefined
      ? undefined
      : createPhraser({
          ...deps,
          settings: deps.llm,
          ...(deps.fetch === undefined ? {} : { fetch: deps.fetch }),
        })

  /**
   * The recommender's ranking for this shopper at the level their setting and consent allow: its level,
   * why, and its suggestions in order. With no model yet (a server that does not train), the `off`
   * level with no suggestions: the matches are then ranked by relevance alone.
   */
  async function suggestionsFor(message: AssistantMessage, signals: RequestSignals) {
    try {
      // A read: the assistant's ranking logs no answer, counts no cap and enrols nobody.
      const answer = await deps.recommend.ranking(
        {
          placement: 'assistant',
          limit: SUGGESTIONS,
          ...(message.subject === undefined ? {} : { subject: message.subject }),
          ...(message.session === undefined ? {} : { session: message.session }),
          ...(message.jurisdiction === undefined ? {} : { jurisdiction: message.jurisdiction }),
        },
        signals,
      )
      const suggestions: Suggestion[] = answer.items.map((i) => ({
        id: i.id,
        explanation: {
          kind: i.explanation.kind,
          sentence: i.explanation.sentence,
          evidence: i.explanation.evidence,
        },
      }))
      return { level: answer.level, levelReason: answer.levelReason, suggestions }
    } catch (error) {
      if (!(error instanceof AppError) || error.code !== 'unavailable') throw error
      return {
        level: 'off' as PersonalizationLevel,
        levelReason: 'off: no suggestion model is trained yet',
        suggestions: [] as Suggestion[],
      }
    }
  }

  return {
    /** The kept conversations (export, erasure, retention: `assistant.participant.ts`). */
    transcripts,

    /**
     * Answers one message: refused (nothing read or kept) when it holds personal data; else the
     * catalog's matches within its budget and category, ranked at the shopper's level, each explained,
     * and a reply saying what it used.
     */
    async message(
      message: AssistantMessage,
      signals: RequestSignals,
      actor: Actor,
    ): Promise<AssistantAnswer> {
      assertNoPersonalData(message.text)
      const catalog = await index.current()
      const categories = catalog.categories()
      // The model's reading (when configured) and the recommender's answer, asked together.
      const [modelIntent, { level, levelReason, suggestions }] = await Promise.all([
        phraser?.readIntent(message.text, categories),
        suggestionsFor(message, signals),
      ])
      const { request, from } = mergeIntent(parseRequest(message.text, categories), modelIntent)
      const hits = catalog.find(request, CANDIDATES)
      const ranked = rankHits(hits, suggestions, ASSISTANT_ITEMS)
      const items = ranked.map(({ hit, suggestion }) => itemOf(hit, suggestion, request))
      const currency = ranked[0]?.hit.item.currency
      const used = usedSentence(level, levelReason)
      // The model's words when it answers, then always Candor's own sentence on what was used.
      const phrased =
        phraser === undefined || items.length === 0
          ? undefined
          : await phraser.phrase(
              message,
              level,
              items,
              // Without the shopper's grant, the best matches by relevance alone: nothing about them.
              hits.slice(0, ASSISTANT_ITEMS).map((hit) => itemOf(hit, undefined, request)),
              signals,
            )
      const answer: AssistantAnswer = {
        // Echoed, or new; it names nothing until a turn is kept under it.
        conversationId: message.conversationId ?? newSortableId('conv', deps.clock.now().getTime()),
        reply:
          phrased === undefined ? replyText(request, items, currency, used) : `${phrased} ${used}`,
        items,
        level,
        levelReason,
        used,
        understood: {
          ...(request.budget === undefined ? {} : { budget: request.budget }),
          ...(request.category === undefined ? {} : { category: request.category }),
          ...(request.occasion === undefined ? {} : { occasion: request.occasion }),
          ...(request.recipient === undefined ? {} : { recipient: request.recipient }),
          terms: [...request.terms],
          ...(modelIntent === undefined ? {} : { from }),
        },
        kept: false,
        phrasedBy: phrased === undefined ? 'candor' : 'language_model',
      }
      answer.kept = await transcripts.keep(message, answer, signals, actor)
      return answer
    },
  }
}
