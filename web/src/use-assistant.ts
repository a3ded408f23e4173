/**
 * The shop assistant's conversation (issue 24): each question goes to `POST /v1/assistant/messages` with
 * the shopper's token and subject, as the shop asks for its suggestions, in the body (never the address);
 * the answer's `conversationId` carries the next question on. A failure becomes a plain sentence.
 */
import { useState } from 'preact/hooks'
import { ApiError, isMissingRoute } from './api.js'
import { type AnswerOf, clientFor, ok } from './client.js'

export type AssistantAnswer = AnswerOf<'/v1/assistant/messages', 'post'>
export type AssistantItem = AssistantAnswer['items'][number]

/** One turn of the conversation: the shopper's question, then Candor's answer once it came. */
export interface Turn {
  question: string
  answer?: AssistantAnswer
}

/** What went wrong, in words a shopper can act on. */
export function assistantFailure(error: unknown): string {
  if (isMissingRoute(error)) return 'The shop assistant is not available on this server.'
  if (!(error instanceof ApiError))
    return 'The shop assistant could not be reached. Check your connection and try again.'
  if (error.status === 429) return 'Too many questions at once: wait a moment and ask again.'
  if (error.status === 401) return 'Your visit has expired: reload the page and ask again.'
  if (error.status >= 500) return 'The shop assistant could not answer just now. Please try again.'
  // The problem names the field and the reason (never the text itself): the reason is the sentence.
  const errors = error.problem.errors
  const first = Array.isArray(errors) ? (errors[0] as { reason?: unknown } | undefined) : undefined
  const reason = typeof first?.reason === 'string' ? first.reason : error.message
  return `The assistant could not take that question: ${reason}.`
}

export function useAssistant(props: { token: string; shopper: string }) {
  const [turns, setTurns] = useState<Turn[]>([])
  const [conversationId, setConversationId] = useState<string>()
  const [busy, setBusy] = useState(false)
  const [failure, setFailure] = useState<string>()

  async function ask(text: string): Promise<boolean> {
    const question = text.trim()
    if (question === '' || busy) return false
    setBusy(true)
    setFailure(undefined)
    try {
      const answer = await ok(
        clientFor(props.token).POST('/v1/assistant/messages', {
          body: {
            text: question,
            subject: props.shopper,
            ...(conversationId === undefined ? {} : { conversationId }),
          },
        }),
      )
      setConversationId(answer.conversationId)
      setTurns((all) => [...all, { question, answer }])
      return true
    } catch (error) {
      setFailure(assistantFailure(error))
      return false
    } finally {
      setBusy(false)
    }
  }

  return { turns, busy, failure, ask }
}
