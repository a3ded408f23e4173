/**
 * The optional language model (`CANDOR_ASSISTANT_LLM_URL`, an OpenAI-compatible chat completions
 * endpoint): it reads the message's intent as JSON (`readIntent`, see `assistant.intent.ts`; it is sent
 * the message and the catalog's category names only) and rewrites the reply from the catalog candidates
 * and the shopper's message (`phrase`). What it is
 * sent about the shopper is decided here, in `sharesShopper`: the reasons that rest on their history or
 * visit (and the order they gave) only when the charter declares the provider
 * (`CANDOR_ASSISTANT_LLM_VENDOR`) as a vendor for the purpose the answer used and the shopper's consent
 * allows that purpose now; otherwise the candidates in search order, with nothing about anybody. Any
 * failure, a timeout included, leaves the reply as Candor wrote it.
 */
import type { AssistantLlmSettings } from '../../config.assistant.js'
import type { Charter } from '../charter/index.js'
import type { ConsentService, PersonalizationLevel, RequestSignals } from '../consent/index.js'
import type { IdentityService } from '../identity/index.js'
import type { SessionService } from '../session/index.js'
import type { AssistantItem, AssistantMessage } from './assistant.js'
import { INTENT_INSTRUCTIONS, type ModelIntent, parseModelIntent } from './assistant.intent.js'

export interface PhraserDeps {
  charter: Charter
  consent: Pick<ConsentService, 'decide'>
  identity: Pick<IdentityService, 'findSubjectId'>
  session: Pick<SessionService, 'keyOf' | 'liveKey'>
  settings: AssistantLlmSettings
  /** The HTTP client (the platform's `fetch`; a test may pass its own). */
  fetch?: typeof fetch
}

/** The purpose whose data an answer at this level used (none at `off`). */
const PURPOSE_OF_LEVEL: Partial<Record<PersonalizationLevel, string>> = {
  personal: 'personalize.recommendations',
  session: 'personalize.session',
}

const INSTRUCTIONS =
  'You are the shopping assistant of an online shop. Answer the shopper’s message in at most three short, ' +
  'friendly sentences, suggesting only products from `candidates` by their titles and prices. Never invent ' +
  'a product, a price or a fact. Say nothing about the shopper beyond what `shopper` tells you.'

/** At most this many of the catalog's category names are sent with a message to read. */
const CATEGORIES = 200

/** A candidate as the model is sent it. */
interface Candidate {
  id: string
  title: string
  price: number | null
  category: string[]
  /** Only with the shopper's grant: the reason, which may rest on their own items. */
  reason?: string
}

export type Phraser = ReturnType<typeof createPhraser>

export function createPhraser(deps: PhraserDeps) {
  const { settings } = deps
  const send = deps.fetch ?? fetch

  /** Whether the provider may be sent what the answer knows of the shopper (see the file header). */
  async function sharesShopper(
    message: AssistantMessage,
    level: PersonalizationLevel,
    signals: RequestSignals,
  ): Promise<boolean> {
    const purpose = PURPOSE_OF_LEVEL[level]
    const vendor = settings.vendor === undefined ? undefined : deps.charter.vendors[settings.vendor]
    if (purpose === undefined || vendor === undefined || !vendor.purposes.includes(purpose))
      return false
    const owner =
      message.subject !== undefined
        ? await deps.identity.findSubjectId(message.subject)
        : message.session !== undefined
          ? await deps.session.liveKey(deps.session.keyOf(message.session))
          : undefined
    if (owner === undefined) return false
    return (await deps.consent.decide(owner, purpose, signals)).allowed
  }

  /**
   * One chat completion: the model's text, or undefined when it failed, timed out, or answered nothing
   * usable (empty, or longer than 2,000 characters).
   */
  async function complete(request: {
    temperature: number
    messages: { role: 'system' | 'user'; content: string }[]
    response_format?: { type: 'json_object' }
  }): Promise<string | undefined> {
    try {
      const response = await send(settings.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(settings.key === undefined ? {} : { authorization: `Bearer ${settings.key}` }),
        },
        body: JSON.stringify({ model: settings.model, ...request }),
        signal: AbortSignal.timeout(settings.timeoutMs),
      })
      if (!response.ok) return undefined
      const body = (await response.json()) as {
        choices?: { message?: { content?: unknown } }[]
      }
      const text = body.choices?.[0]?.message?.content
      if (typeof text !== 'string') return undefined
      const trimmed = text.trim()
      return trimmed === '' || trimmed.length > 2000 ? undefined : trimmed
    } catch {
      return undefined
    }
  }

  return {
    sharesShopper,

    /**
     * The model's reading of the message (`assistant.intent.ts`), asked as JSON; it is sent the
     * message and the catalog's category names, nothing about the shopper. Undefined when it failed,
     * timed out or answered anything but the schema.
     */
    async readIntent(
      text: string,
      categories: readonly string[],
    ): Promise<ModelIntent | undefined> {
      const answer = await complete({
        temperature: 0,
        response_format: { type: 'json_object' },
        messages: [
          { role: 'system', content: INTENT_INSTRUCTIONS },
          {
            role: 'user',
            content: JSON.stringify({ message: text, categories: categories.slice(0, CATEGORIES) }),
          },
        ],
      })
      return answer === undefined ? undefined : parseModelIntent(answer, categories)
    },

    /**
     * The model's reply to `message` over `ranked` (the answer's items, in its order) and `searched`
     * (the same matches in search order: what is sent without the grant); undefined when it failed,
     * timed out or answered nothing usable.
     */
    async phrase(
      message: AssistantMessage,
      level: PersonalizationLevel,
      ranked: readonly AssistantItem[],
      searched: readonly AssistantItem[],
      signals: RequestSignals,
    ): Promise<string | undefined> {
      const shared = await sharesShopper(message, level, signals)
      const candidates: Candidate[] = (shared ? ranked : searched).map((i) => ({
        id: i.id,
        title: i.title,
        price: i.price,
        category: i.category,
        ...(shared ? { reason: i.explanation.sentence } : {}),
      }))
      const content = {
        message: message.text,
        candidates,
        ...(shared ? { shopper: { level } } : {}),
      }
      return complete({
        temperature: 0.3,
        messages: [
          { role: 'system', content: INSTRUCTIONS },
          { role: 'user', content: JSON.stringify(content) },
        ],
      })
    },
  }
}
