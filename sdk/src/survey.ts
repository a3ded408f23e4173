/**
 * Shows the survey Candor says to show this shopper now, in a given element: one question at a time
 * (a fieldset with its legend, radio buttons for a choice or a 1-5 rating, a text box for text), each
 * answer posted to the voice intake (`POST /v1/voice`), then a thank-you. Candor answers no survey when
 * the shopper has not allowed its purpose, already answered it, or was asked within its cap: the
 * element then stays empty.
 *
 * @example
 * const result = await showSurvey(document.querySelector('#survey')!, {
 *   subject: 'customer-42', token, context: 'recommendations',
 * })
 */
import createClient from 'openapi-fetch'
import type { paths } from './api-types.js'

type Active = paths['/v1/surveys/active']['get']
type ActiveAnswer = Active['responses'][200]['content']['application/json']
type Question = NonNullable<ActiveAnswer['survey']>['questions'][number]
export type SurveyContext = NonNullable<Active['parameters']['query']>['context']
export type SurveyReason = ActiveAnswer['reason'] | 'answered_now'

export interface SurveyOptions {
  /** Candor's base URL; '' for the same origin. */
  endpoint?: string
  /** The shop's customer reference (with its shopper token), or `session` for an anonymous visit. */
  subject?: string
  session?: string
  /** A shopper token for `subject` (or a storefront key, from a shop's own backend). */
  token?: string
  /** Where the survey shows: `recommendations` (under a row), `product`, `checkout`, ... */
  context: SurveyContext
  /** The thank-you line (default "Thank you: your answer helps us improve."). */
  thanks?: string
  /** Called with each answer Candor took (question id). */
  onAnswer?: (question: string) => void
  /** For tests: the fetch to use. */
  fetch?: typeof fetch
}

let surveyCount = 0

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag)
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value)
  node.append(...children)
  return node
}

/** The inputs of one question: radio buttons (choice, rating 1-5) or a text box. */
function inputsFor(question: Question, name: string): HTMLElement[] {
  const radio = (value: string, label: string) =>
    el(
      'label',
      { class: 'candor-survey-option' },
      el('input', { type: 'radio', name, value, required: '' }),
      ` ${label}`,
    )
  if (question.kind === 'choice') return question.options.map((o) => radio(o, o))
  if (question.kind === 'rating') {
    const low = question.labels?.low
    const high = question.labels?.high
    return [1, 2, 3, 4, 5].map((n) =>
      radio(
        String(n),
        n === 1 && low !== undefined
          ? `1 (${low})`
          : n === 5 && high !== undefined
            ? `5 (${high})`
            : String(n),
      ),
    )
  }
  return [
    el('textarea', {
      name,
      rows: '3',
      maxlength: '2000',
      required: '',
      'aria-label': question.text,
      class: 'candor-survey-text',
    }),
  ]
}

/** A question's form: a fieldset with the question as its legend ("(2 of 3)" when several), and Send. */
function questionForm(question: Question, name: string, index: number, count: number) {
  const legend = el('legend', {}, question.text)
  if (count > 1)
    legend.append(el('span', { class: 'candor-survey-step' }, ` (${index + 1} of ${count})`))
  const fieldset = el('fieldset', {}, legend, ...inputsFor(question, name))
  const send = el('button', { type: 'submit' }, 'Send')
  const form = el(
    'form',
    { class: 'candor-survey-form', 'data-question': question.id },
    fieldset,
    send,
  )
  return { form, send }
}

/** The voice intake's answer field for a question's kind. */
function answerOf(question: Question, value: string) {
  return question.kind === 'choice'
    ? { answer: value }
    : question.kind === 'rating'
      ? { rating: Number(value) }
      : { text: value.trim() }
}

/** Replaces the questions with the thank-you line and moves the focus to it (read by screen readers). */
function thank(body: HTMLElement, status: HTMLElement, text?: string): void {
  const thanks = el(
    'p',
    { class: 'candor-survey-thanks', tabindex: '-1' },
    text ?? 'Thank you: your answer helps us improve.',
  )
  body.replaceChildren(thanks)
  status.textContent = ''
  thanks.focus()
}

type Client = ReturnType<typeof createClient<paths>>
type VoiceBody = paths['/v1/voice']['post']['requestBody']['content']['application/json']

/** Posts one answer to the voice intake; a refusal becomes an error with Candor's own words. */
async function postAnswer(client: Client, headers: Record<string, string>, body: VoiceBody) {
  const { response, error } = await client.POST('/v1/voice', { headers, body })
  if (!response.ok) {
    const problem = (error ?? {}) as { detail?: string; title?: string }
    throw new Error(problem.detail ?? problem.title ?? `Candor answered ${response.status}`)
  }
}

/**
 * Fetches the survey for `context` and renders it in `container` (replacing what is there, unless it
 * already shows that same survey: then the node is kept as it is); resolves
 * with Candor's reason (`shown` when one is shown) once it is rendered or known to be none.
 */
export async function showSurvey(
  container: Element,
  options: SurveyOptions,
): Promise<SurveyReason> {
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis)
  const client = createClient<paths>({
    baseUrl: (options.endpoint ?? '').replace(/\/$/, ''),
    fetch: (request) => doFetch(request),
    credentials: 'omit',
  })
  const headers: Record<string, string> =
    options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }
  const who =
    options.subject !== undefined ? { subject: options.subject } : { session: options.session! }
  const { data, response } = await client.GET('/v1/surveys/active', {
    headers,
    params: { query: { context: options.context, ...who } },
  })
  if (!response.ok || data === undefined) {
    container.replaceChildren()
    throw new Error(`Candor answered ${response.status}`)
  }
  const survey = data.survey
  // Asked again (the page's choices changed) while this survey is on show: the shown node stays, with
  // what the shopper has chosen so far, rather than being drawn anew under their pointer.
  const shown = container.querySelector(':scope > section.candor-survey')
  if (survey !== null && shown?.getAttribute('data-survey') === survey.id) return 'shown'
  container.replaceChildren()
  if (survey === null) return data.reason

  const id = `candor-survey-${++surveyCount}`
  const status = el('p', { class: 'candor-survey-status', role: 'status', 'aria-live': 'polite' })
  const body = el('div', { class: 'candor-survey-body' })
  container.append(
    el(
      'section',
      { class: 'candor-survey', 'aria-labelledby': `${id}-h`, 'data-survey': survey.id },
      el('h2', { id: `${id}-h`, class: 'candor-survey-title' }, survey.title),
      body,
      status,
    ),
  )
  let index = 0

  const ask = (focus: boolean) => {
    const question = survey.questions[index]
    if (question === undefined) return thank(body, status, options.thanks)
    const name = `${id}-${question.id}`
    const { form, send } = questionForm(question, name, index, survey.questions.length)
    form.addEventListener('submit', (event) => {
      event.preventDefault()
      const value = new FormData(form).get(name)
      if (typeof value !== 'string' || value.trim() === '') return
      send.disabled = true
      status.textContent = 'Sending…'
      postAnswer(client, headers, {
        kind: 'survey',
        ...who,
        survey: survey.id,
        question: question.id,
        ...answerOf(question, value),
      })
        .then(() => {
          options.onAnswer?.(question.id)
          index++
          status.textContent = ''
          ask(true)
        })
        .catch((e: unknown) => {
          send.disabled = false
          status.textContent = `Not sent: ${e instanceof Error ? e.message : String(e)}`
        })
    })
    body.replaceChildren(form)
    if (focus) form.querySelector<HTMLElement>('input, textarea')?.focus()
  }

  ask(false)
  return 'shown'
}
