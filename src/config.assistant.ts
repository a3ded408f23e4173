/**
 * The shopping assistant's optional language model (issue 24): an OpenAI-compatible chat completions
 * endpoint that reads the intent of each message beside the parser and rewrites the assistant's reply
 * in friendlier words. Off unless its URL is set.
 *
 *   CANDOR_ASSISTANT_LLM_URL         the chat completions URL (https://, or http:// to this machine)
 *   CANDOR_ASSISTANT_LLM_KEY         sent as `Authorization: Bearer <key>` (optional)
 *   CANDOR_ASSISTANT_LLM_MODEL       the `model` field of the request (default gpt-4o-mini)
 *   CANDOR_ASSISTANT_LLM_VENDOR      the charter vendor key of the provider: without a vendor declared
 *                                    for the purpose the answer used, nothing about the shopper is sent
 *   CANDOR_ASSISTANT_LLM_TIMEOUT_MS  how long to wait before answering without it (default 4000)
 */
import { z } from 'zod'

export interface AssistantLlmSettings {
  readonly url: string
  readonly key: string | undefined
  readonly model: string
  readonly vendor: string | undefined
  readonly timeoutMs: number
}

/** The error type of config.ts, passed in to keep one class without an import cycle. */
type MakeError = (variable: string, reason: string) => Error

const LOOPBACK = ['localhost', '127.0.0.1', '[::1]']

const UrlSchema = z.string().refine((value) => {
  if (!URL.canParse(value)) return false
  const url = new URL(value)
  return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.includes(url.hostname))
}, 'must be an https:// URL (http:// only to localhost)')

/** Reads the language-model settings; undefined when CANDOR_ASSISTANT_LLM_URL is unset (the default). */
export function parseAssistantLlmSettings(
  env: Readonly<Record<string, string | undefined>>,
  error: MakeError,
): AssistantLlmSettings | undefined {
  const raw = (name: string) => {
    const value = env[name]?.trim()
    return value === undefined || value === '' ? undefined : value
  }
  const url = raw('CANDOR_ASSISTANT_LLM_URL')
  if (url === undefined) return undefined
  const checked = UrlSchema.safeParse(url)
  if (!checked.success)
    throw error('CANDOR_ASSISTANT_LLM_URL', checked.error.issues[0]?.message ?? 'not a URL')
  const timeout = raw('CANDOR_ASSISTANT_LLM_TIMEOUT_MS') ?? '4000'
  if (!/^\d+$/.test(timeout) || Number(timeout) < 100 || Number(timeout) > 60_000)
    throw error('CANDOR_ASSISTANT_LLM_TIMEOUT_MS', 'must be a whole number from 100 to 60000')
  const vendor = raw('CANDOR_ASSISTANT_LLM_VENDOR')
  if (vendor !== undefined && !/^[a-z0-9][a-z0-9-]*$/.test(vendor))
    throw error('CANDOR_ASSISTANT_LLM_VENDOR', 'must be a charter vendor key such as llm-provider')
  return Object.freeze({
    url,
    key: raw('CANDOR_ASSISTANT_LLM_KEY'),
    model: raw('CANDOR_ASSISTANT_LLM_MODEL') ?? 'gpt-4o-mini',
    vendor,
    timeoutMs: Number(timeout),
  })
}
