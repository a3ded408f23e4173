/**
 * The demo shop's assistant (issue 24): a button at the foot of every page opens a small chat panel (a
 * modal dialog: the focus goes in and stays there, Escape or "Close" shuts it and the focus goes back to
 * the button). The conversation is a `role="log"`: each answer is the reply, the items as small cards
 * (title linking to the product, price, why it was suggested) and the sentence saying what Candor used.
 * The question goes in the request body with the shopper's token, never in an address.
 */
import type { RefObject } from 'preact'
import { useEffect, useRef, useState } from 'preact/hooks'
import type { Product } from './api.js'
import { money } from './shop-row.js'
import { type AssistantItem, type Turn, useAssistant } from './use-assistant.js'
import { useModalFocus } from './use-modal-focus.js'
import './shop-assistant.css'

/** The questions offered to start with (the first is the one the README and the test ask). */
const STARTERS = ['a gift under 20 pounds for a tea lover', 'lunch bag for kids', 'vintage doormat']

function priceOf(item: AssistantItem): string {
  if (item.price === null) return ''
  const product: Product = { ...item, category: '', price: item.price, currency: 'GBP' }
  return money(product)
}

function ItemCard({ item }: { item: AssistantItem }) {
  return (
    <li class="assistant-item" data-testid="assistant-item" data-id={item.id}>
      <a href={`/p/${encodeURIComponent(item.id)}`} class="assistant-item-title">
        {item.title}
      </a>
      <span class="assistant-item-price" data-testid="assistant-price">
        {priceOf(item)}
      </span>
      <p class="assistant-item-why" data-testid="assistant-why">
        {item.explanation.sentence}
      </p>
    </li>
  )
}

/** The reply without its closing "what it used" sentence, which the panel shows on its own line. */
function replyText(answer: NonNullable<Turn['answer']>): string {
  const { reply, used } = answer
  return used !== '' && reply.endsWith(used) ? reply.slice(0, -used.length).trim() : reply
}

function TurnView({ turn }: { turn: Turn }) {
  const answer = turn.answer
  return (
    <>
      <p class="assistant-you">
        <span class="visually-hidden">You: </span>
        {turn.question}
      </p>
      {answer === undefined ? null : (
        <div
          class="assistant-answer"
          data-testid="assistant-answer"
          data-level={answer.level}
          data-conversation={answer.conversationId}
        >
          <p>
            <span class="visually-hidden">Assistant: </span>
            {replyText(answer)}
          </p>
          {answer.items.length === 0 ? null : (
            <ul class="assistant-items" aria-label="Suggested products">
              {answer.items.map((item) => (
                <ItemCard key={item.id} item={item} />
              ))}
            </ul>
          )}
          <p class="assistant-used" data-testid="assistant-used">
            <strong>What it used:</strong> {answer.used}
          </p>
        </div>
      )}
    </>
  )
}

/** Before the first question: what the assistant does, and questions to start with. */
function Starters(props: { busy: boolean; onAsk: (question: string) => void }) {
  return (
    <div class="assistant-intro">
      <p>
        Ask for something in your own words. Suggestions follow your privacy choices, and each
        answer says what it used.
      </p>
      <ul class="assistant-starters" aria-label="Try asking">
        {STARTERS.map((s) => (
          <li key={s}>
            <button type="button" disabled={props.busy} onClick={() => props.onAsk(s)}>
              {s}
            </button>
          </li>
        ))}
      </ul>
    </div>
  )
}

/** The question box at the foot of the panel (Enter or "Ask" sends it). */
function QuestionForm(props: {
  text: string
  busy: boolean
  input: RefObject<HTMLInputElement | null>
  onText: (text: string) => void
  onAsk: () => void
}) {
  return (
    <form
      class="assistant-form"
      onSubmit={(e) => {
        e.preventDefault()
        props.onAsk()
      }}
    >
      <label for="assistant-text">Your question</label>
      <div class="assistant-row">
        <input
          id="assistant-text"
          ref={props.input}
          type="text"
          maxLength={500}
          autoComplete="off"
          value={props.text}
          onInput={(e) => props.onText(e.currentTarget.value)}
        />
        <button type="submit" disabled={props.busy || props.text.trim() === ''}>
          {props.busy ? 'Asking…' : 'Ask'}
        </button>
      </div>
    </form>
  )
}

function AssistantPanel(props: { token: string; shopper: string; onClose: () => void }) {
  const dialog = useRef<HTMLDivElement>(null)
  const log = useRef<HTMLDivElement>(null)
  const input = useRef<HTMLInputElement>(null)
  const { turns, busy, failure, ask } = useAssistant(props)
  const [text, setText] = useState('')
  useModalFocus(dialog, props.onClose)

  // The newest question at the top of the log, its answer below it (the log scrolls, not the page); a
  // failure at the bottom, beside the question box.
  useEffect(() => {
    const node = log.current
    if (node === null) return
    const questions = node.querySelectorAll<HTMLElement>('.assistant-you')
    const last = questions[questions.length - 1]
    node.scrollTop =
      failure === undefined && last !== undefined ? last.offsetTop - 8 : node.scrollHeight
  }, [turns.length, failure])

  async function send(question: string) {
    if (await ask(question)) setText('')
    input.current?.focus()
  }

  return (
    <div class="assistant-layer">
      <div
        ref={dialog}
        class="assistant-panel"
        role="dialog"
        aria-modal="true"
        aria-labelledby="assistant-title"
        data-testid="assistant-panel"
      >
        <div class="assistant-head">
          <h2 id="assistant-title" tabIndex={-1}>
            Shop assistant
          </h2>
          <button type="button" class="link-button" onClick={props.onClose}>
            Close
          </button>
        </div>
        <div class="assistant-log" role="log" aria-label="Conversation" ref={log}>
          {turns.length === 0 ? (
            <Starters busy={busy} onAsk={(q) => void send(q)} />
          ) : (
            turns.map((turn, i) => <TurnView key={i} turn={turn} />)
          )}
          {failure === undefined ? null : (
            <p class="error" role="alert" data-testid="assistant-error">
              {failure}
            </p>
          )}
        </div>
        <QuestionForm
          text={text}
          busy={busy}
          input={input}
          onText={setText}
          onAsk={() => void send(text)}
        />
      </div>
    </div>
  )
}

/**
 * The button that opens the assistant, and the panel while it is open. The button stays in the page
 * (outside the shop, which goes inert behind the panel) so that the focus can come back to it.
 */
export function ShopAssistant(props: {
  token: string
  shopper: string
  /** While another dialog (the privacy choices) is open, the button is out of the way. */
  hidden?: boolean
}) {
  const { hidden = false, ...session } = props
  const [open, setOpen] = useState(false)
  return (
    <>
      <button
        type="button"
        class="assistant-open"
        aria-haspopup="dialog"
        aria-expanded={open}
        hidden={hidden}
        onClick={() => setOpen(true)}
      >
        Ask the shop assistant
      </button>
      {open ? <AssistantPanel {...session} onClose={() => setOpen(false)} /> : null}
    </>
  )
}
