/**
 * The shopping assistant (issue 24, part 2): `POST /v1/assistant/messages` answers a shopper's message
 * in plain words with catalog products, ranked at the level the shopper's consent allows.
 *
 * - The message read (budget, category, occasion, recipient, words to search): `assistant.parse.ts`,
 *   pure. Retrieval (MiniSearch: BM25, prefix, fuzzy, field boosts) over available, non-special items,
 *   with the budget and category as hard filters: `assistant.search.ts`, pure; its index in a process,
 *   kept in step with the catalog's `updated_at`: `assistant.catalog.ts`.
 * - Ranking at the shopper's level and the reply: `assistant.reply.ts` (pure), with the recommender's
 *   own answer (its level, scoring and explanations) read by `assistant.service.ts`.
 * - The optional language model (`CANDOR_ASSISTANT_LLM_*`) and what it may be sent about the shopper:
 *   `assistant.llm.ts`; its reading of the message (strict JSON) joined with the parser's:
 *   `assistant.intent.ts`, pure.
 * - Transcripts, kept only under `personalize.assistant` with the shopper's grant, pseudonymized,
 *   exported, erased and swept by retention: `assistant.transcripts.ts`, `assistant.participant.ts`;
 *   owns `assistant_turns` (migration 0039), SQL only in `assistant.repository.ts`.
 * - HTTP: `assistant.routes.ts`; schemas: `assistant.ts`.
 *
 * For the retrieval benchmark, without a server:
 *   `searchCatalog<T extends SearchableItem>(items: readonly T[], text: string, limit: number): SearchHit<T>[]`
 * (the offered items of `items` that answer `text`, best first; `parseRequest(text, categories)` alone
 * gives what the text was read as).
 *
 * May import: lib, storage, config (its settings type), http (auth, openapi), audit, catalog, charter,
 * consent (the decision, signals), events (the personal-data scan), identity (pseudonyms), session (a
 * visit's key), recommend (its ranking, read without side effects). Other modules use this one only
 * through this file.
 */
export { parseRequest, type Budget, type ParsedRequest } from './assistant.parse.js'
export {
  CatalogIndex,
  isOffered,
  searchCatalog,
  type SearchHit,
  type SearchableItem,
} from './assistant.search.js'
export {
  ASSISTANT_PURPOSE,
  AssistantAnswerSchema,
  AssistantMessageSchema,
  type AssistantAnswer,
  type AssistantMessage,
} from './assistant.js'
export { createAssistantService, type AssistantService } from './assistant.service.js'
export { assistantRoutes } from './assistant.routes.js'
export { assistantDataParticipant } from './assistant.participant.js'
