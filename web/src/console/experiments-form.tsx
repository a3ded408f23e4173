/**
 * The experiments panel's create form (issue 21): a name, what is tested, the control and one other
 * variant with its settings, the primary metric, one guardrail, the rollout stages and the purpose.
 * The server checks every rule (`POST /v1/experiments`); each field it names is shown beside its input.
 */
import type { JSX } from 'preact'
import { useState } from 'preact/hooks'
import { ApiError, type Notice, noticePurposes } from '../api.js'
import { bearer, client, ok, type paths } from '../client.js'

type ExperimentBody = NonNullable<
  paths['/v1/experiments']['post']['requestBody']
>['content']['application/json']

const METRICS = ['view', 'basket', 'purchase', 'not_this', 'creepy'] as const
const metricOptions = METRICS.map((m): [string, string] => [m, m])
const TARGETS = {
  recommendation_parameters: 'Recommendation parameters',
  prompt_text: 'Consent prompt text',
  offer: 'Offer',
} as const

/** The form's fields, as text, and the API field each answers for (longest first wins). */
const FIELDS = {
  name: 'body.name',
  target: 'body.target',
  variant: 'body.variants.1.name',
  settings: 'body.variants.1.settings',
  variants: 'body.variants',
  primaryMetric: 'body.primaryMetric',
  guardrail: 'body.guardrails',
  stages: 'body.stages',
  purpose: 'body.purpose',
} as const
type Field = keyof typeof FIELDS
type Form = Record<Exclude<Field, 'variants'>, string> & { tolerance: string }

const EMPTY: Form = {
  name: '',
  target: 'recommendation_parameters',
  variant: '',
  settings: '',
  primaryMetric: 'purchase',
  guardrail: 'not_this',
  tolerance: '0',
  stages: '0.01, 0.05, 0.25, 0.5',
  purpose: 'personalize.session',
}

const LABELS: Record<Exclude<Field, 'variants'>, string> = {
  name: 'Name',
  target: 'What is tested',
  variant: 'Variant name (the control is "control")',
  settings: 'Variant settings (name=value, comma-separated)',
  primaryMetric: 'Primary metric',
  guardrail: 'Guardrail metric',
  stages: 'Rollout stages (shares, comma-separated)',
  purpose: 'Charter purpose it rests on',
}

/** `personal.popularityWeight=0, personal.repeatUnit=day` as settings: numbers where they are numbers. */
function settingsOf(text: string): Record<string, string | number> {
  const out: Record<string, string | number> = {}
  for (const part of text.split(',')) {
    const [k, ...rest] = part.split('=')
    const key = (k ?? '').trim()
    if (key === '') continue
    const value = rest.join('=').trim()
    out[key] = value !== '' && Number.isFinite(Number(value)) ? Number(value) : value
  }
  return out
}

function bodyOf(f: Form): ExperimentBody {
  return {
    name: f.name.trim(),
    target: f.target as ExperimentBody['target'],
    variants: [
      { name: 'control', settings: {} },
      { name: f.variant.trim(), settings: settingsOf(f.settings) },
    ],
    primaryMetric: f.primaryMetric as ExperimentBody['primaryMetric'],
    guardrails:
      f.guardrail === ''
        ? []
        : [
            {
              metric: f.guardrail as (typeof METRICS)[number],
              tolerance: Number(f.tolerance),
            },
          ],
    stages: f.stages
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '')
      .map(Number),
    purpose: f.purpose,
  }
}

/** The form field a problem's `field` belongs to (the most specific match). */
function fieldOf(apiField: string): Exclude<Field, 'variants'> | undefined {
  const hit = (Object.keys(FIELDS) as Field[])
    .filter((k) => apiField === FIELDS[k] || apiField.startsWith(`${FIELDS[k]}.`))
    .sort((a, b) => FIELDS[b].length - FIELDS[a].length)[0]
  return hit === 'variants' ? 'variant' : hit
}

type Errors = Partial<Record<Exclude<Field, 'variants'>, string>>

/** Starts the experiment; what to say, and each refused field's reason beside its input. */
async function start(
  token: string,
  form: Form,
): Promise<{ started: boolean; said: string; errors: Errors }> {
  try {
    const x = await ok(
      client.POST('/v1/experiments', { headers: bearer(token), body: bodyOf(form) }),
    )
    return { started: true, said: `Started experiment ${x.name}.`, errors: {} }
  } catch (err: unknown) {
    const issues = (err instanceof ApiError ? err.problem.errors : undefined) as
      { field: string; reason: string }[] | undefined
    const errors: Errors = {}
    for (const i of issues ?? []) {
      const f = fieldOf(i.field)
      if (f !== undefined) errors[f] ??= i.reason
    }
    return { started: false, said: err instanceof Error ? err.message : String(err), errors }
  }
}

function Row(props: {
  name: Exclude<Field, 'variants'>
  errors: Errors
  children: (a: { id: string; invalid: object }) => JSX.Element
}) {
  const { name, errors } = props
  const error = errors[name]
  const id = `exp-${name}`
  const invalid =
    error === undefined ? {} : { 'aria-invalid': 'true', 'aria-describedby': `${id}-error` }
  return (
    <div class="offer-field">
      <label for={id}>{LABELS[name]}</label>
      {props.children({ id, invalid })}
      {error === undefined ? null : (
        <p id={`${id}-error`} class="error small" data-testid={`exp-error-${name}`}>
          {error}
        </p>
      )}
    </div>
  )
}

function Said({ said }: { said: string | undefined }) {
  if (said === undefined) return null
  return (
    <p role="status" data-testid="experiment-said">
      {said}
    </p>
  )
}

export function ExperimentForm(props: {
  token: string
  notice: Notice | undefined
  created: () => void
}) {
  const [form, setForm] = useState<Form>(EMPTY)
  const [errors, setErrors] = useState<Errors>({})
  const [said, setSaid] = useState<string>()
  const purposes = props.notice === undefined ? [] : noticePurposes(props.notice)
  const value = (name: keyof Form) => ({
    value: form[name],
    onInput: (e: Event) => setForm({ ...form, [name]: (e.target as HTMLInputElement).value }),
  })
  const text = (name: Exclude<Field, 'variants'>) => (
    <Row name={name} errors={errors}>
      {({ id, invalid }) => <input id={id} type="text" {...invalid} {...value(name)} />}
    </Row>
  )
  const choice = (name: Exclude<Field, 'variants'>, options: [string, string][]) => (
    <Row name={name} errors={errors}>
      {({ id, invalid }) => (
        <select id={id} {...invalid} {...value(name)}>
          {options.map(([v, t]) => (
            <option key={v} value={v}>
              {t}
            </option>
          ))}
        </select>
      )}
    </Row>
  )
  return (
    <form
      class="offer-form experiment-form"
      data-testid="experiment-form"
      noValidate
      onSubmit={(e) => {
        e.preventDefault()
        setSaid(undefined)
        void start(props.token, form).then((r) => {
          setErrors(r.errors)
          setSaid(r.said)
          if (r.started) {
            setForm(EMPTY)
            props.created()
          }
        })
      }}
    >
      <fieldset>
        <legend>What is tested</legend>
        {text('name')}
        {choice('target', Object.entries(TARGETS))}
        {text('variant')}
        {text('settings')}
        {choice(
          'purpose',
          purposes.map((p) => [p.key, `${p.title} (${p.key})`]),
        )}
      </fieldset>
      <fieldset>
        <legend>How it is judged and rolled out</legend>
        {choice('primaryMetric', metricOptions)}
        {choice('guardrail', [['', 'None'], ...metricOptions])}
        <div class="offer-field">
          <label for="exp-tolerance">Guardrail tolerance (harm accepted, difference in rate)</label>
          <input id="exp-tolerance" type="number" step="0.001" {...value('tolerance')} />
        </div>
        {text('stages')}
      </fieldset>
      <div class="filter-buttons">
        <button type="submit" class="primary">
          Start experiment
        </button>
      </div>
      <Said said={said} />
    </form>
  )
}
