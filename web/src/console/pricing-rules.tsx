/**
 * The pricing rules form (issue 24): a top-level category's floor and ceiling (fractions of the list
 * price), largest change a day, protected periods and automatic on/off, each wrong field named beside
 * its input. The server checks every rule (`PUT /v1/pricing/rules/{category}`); the form only gathers
 * the input, and the table lists the categories with rules.
 */
import { useState } from 'preact/hooks'
import { ApiError } from '../api.js'
import { type AnswerOf, bearer, client, ok } from '../client.js'

export type Rule = AnswerOf<'/v1/pricing/rules', 'get'>['rules'][number]

type Period = { from: string; until: string; reason: string }
type Form = {
  category: string
  floor: string
  ceiling: string
  maxDailyChange: string
  automatic: boolean
  periods: Period[]
}
type Errors = Record<string, string>

const EMPTY: Form = {
  category: '',
  floor: '0.8',
  ceiling: '1.2',
  maxDailyChange: '0.05',
  automatic: false,
  periods: [],
}
const isoOf = (local: string) => (local === '' ? '' : new Date(`${local}Z`).toISOString())
const localOf = (iso: string) => iso.slice(0, 16)
/** A number input's text as a number; an empty box goes as null so the server names the field. */
const numberOf = (s: string) => (s.trim() === '' ? null : Number(s))

export function formOf(r: Rule): Form {
  return {
    category: r.category,
    floor: String(r.floor),
    ceiling: String(r.ceiling),
    maxDailyChange: String(r.maxDailyChange),
    automatic: r.mode === 'automatic',
    periods: (r.protectedPeriods ?? []).map((p) => ({
      from: localOf(p.from),
      until: localOf(p.until),
      reason: p.reason,
    })),
  }
}

/** The form key a problem's field belongs to: `body.floor` → `floor`, `params.category` → `category`. */
const keyOf = (field: string) => field.replace(/^(body|params)\./, '')

function NumberField(props: {
  name: 'floor' | 'ceiling' | 'maxDailyChange'
  label: string
  form: Form
  errors: Errors
  set: (f: Form) => void
}) {
  const { name, form, errors } = props
  return (
    <TextField
      id={`pricing-${name}`}
      label={props.label}
      value={form[name]}
      error={errors[name]}
      type="number"
      onInput={(v) => props.set({ ...form, [name]: v })}
    />
  )
}

function TextField(props: {
  id: string
  label: string
  value: string
  error: string | undefined
  type?: 'text' | 'number' | 'datetime-local'
  onInput: (value: string) => void
}) {
  const { id, error } = props
  return (
    <div class="pricing-field">
      <label for={id}>{props.label}</label>
      <input
        id={id}
        // One input for every kind: Preact types each kind apart, the browser takes any.
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
        type={(props.type ?? 'text') as 'text'}
        step={props.type === 'number' ? 'any' : undefined}
        value={props.value}
        aria-invalid={error === undefined ? undefined : 'true'}
        aria-describedby={error === undefined ? undefined : `${id}-error`}
        onInput={(e) => props.onInput((e.target as HTMLInputElement).value)}
      />
      {error === undefined ? null : (
        <p id={`${id}-error`} class="error small" data-testid={`error-${id}`}>
          {error}
        </p>
      )}
    </div>
  )
}

function Periods({ form, set, errors }: { form: Form; set: (f: Form) => void; errors: Errors }) {
  const put = (i: number, p: Partial<Period>) =>
    set({ ...form, periods: form.periods.map((x, j) => (j === i ? { ...x, ...p } : x)) })
  return (
    <fieldset>
      <legend>Protected periods (no price in the category changes; UTC)</legend>
      {form.periods.length === 0 ? <p class="muted small">None.</p> : null}
      {form.periods.map((p, i) => (
        <div class="pricing-period" key={i} data-testid={`period-${i}`}>
          {(['from', 'until', 'reason'] as const).map((k) => (
            <TextField
              key={k}
              id={`pricing-period-${i}-${k}`}
              label={`Period ${i + 1}: ${k === 'from' ? 'from' : k === 'until' ? 'until' : 'reason'}`}
              value={p[k]}
              type={k === 'reason' ? 'text' : 'datetime-local'}
              error={errors[`protectedPeriods.${i}.${k}`]}
              onInput={(v) => put(i, { [k]: v })}
            />
          ))}
          <button
            type="button"
            onClick={() => set({ ...form, periods: form.periods.filter((_, j) => j !== i) })}
          >
            Remove period {i + 1}
          </button>
        </div>
      ))}
      <button
        type="button"
        onClick={() =>
          set({ ...form, periods: [...form.periods, { from: '', until: '', reason: '' }] })
        }
      >
        Add a protected period
      </button>
      {errors.protectedPeriods === undefined ? null : (
        <p class="error small">{errors.protectedPeriods}</p>
      )}
    </fieldset>
  )
}

/** The API body of the form: numbers as numbers, periods' local UTC times as ISO instants. */
function bodyOf(form: Form) {
  return {
    floor: numberOf(form.floor),
    ceiling: numberOf(form.ceiling),
    maxDailyChange: numberOf(form.maxDailyChange),
    mode: form.automatic ? 'automatic' : 'manual',
    protectedPeriods: form.periods.map((p) => ({
      from: isoOf(p.from),
      until: isoOf(p.until),
      reason: p.reason,
    })),
    // Checked by the server, which names each wrong field; the form sends what was typed.
  } as unknown as Omit<Rule, 'category' | 'updatedAt'>
}

/** Category, floor, ceiling, daily limit and automatic on/off, each error beside its input. */
function RuleFields({
  form,
  setForm,
  errors,
}: {
  form: Form
  setForm: (f: Form) => void
  errors: Errors
}) {
  return (
    <fieldset>
      <legend>Category rules</legend>
      <TextField
        id="pricing-category"
        label="Top-level category"
        value={form.category}
        error={errors.category}
        onInput={(v) => setForm({ ...form, category: v })}
      />
      <NumberField
        name="floor"
        label="Floor (fraction of the list price, 0.05-1)"
        form={form}
        errors={errors}
        set={setForm}
      />
      <NumberField
        name="ceiling"
        label="Ceiling (fraction of the list price, 1-10)"
        form={form}
        errors={errors}
        set={setForm}
      />
      <NumberField
        name="maxDailyChange"
        label="Largest change a day (fraction, 0.001-0.5)"
        form={form}
        errors={errors}
        set={setForm}
      />
      <label class="pricing-check">
        <input
          type="checkbox"
          checked={form.automatic}
          onChange={(e) => setForm({ ...form, automatic: (e.target as HTMLInputElement).checked })}
        />{' '}
        Automatic (a suggestion within the bounds applies at once)
      </label>
      {errors.mode === undefined ? null : <p class="error small">{errors.mode}</p>}
    </fieldset>
  )
}

/** The rules form: saved through the API, wrong fields named beside their inputs, nothing half-set. */
export function RuleForm(props: {
  token: string
  form: Form
  setForm: (f: Form) => void
  saved: () => void
}) {
  const { form, setForm, token } = props
  const [errors, setErrors] = useState<Errors>({})
  const [said, setSaid] = useState<string>()
  const save = () => {
    setSaid(undefined)
    const body = bodyOf(form)
    ok(
      client.PUT('/v1/pricing/rules/{category}', {
        headers: bearer(token),
        params: { path: { category: form.category.trim() } },
        body,
      }),
    )
      .then((r) => {
        setErrors({})
        setSaid(`Saved the rules for ${r.category}.`)
        props.saved()
      })
      .catch((err: unknown) => {
        const issues = (err instanceof ApiError ? err.problem.errors : undefined) as
          { field: string; reason: string }[] | undefined
        const next: Errors = {}
        for (const i of issues ?? []) next[keyOf(i.field)] ??= i.reason
        if (form.category.trim() === '') next.category ??= 'Name the top-level category'
        setErrors(next)
        setSaid(err instanceof Error ? err.message : String(err))
      })
  }
  return (
    <form
      class="pricing-form"
      data-testid="pricing-rule-form"
      noValidate
      onSubmit={(e) => (e.preventDefault(), save())}
    >
      <RuleFields form={form} setForm={setForm} errors={errors} />
      <Periods form={form} set={setForm} errors={errors} />
      <div class="filter-buttons">
        <button type="submit" class="primary">
          Save rules
        </button>
        <button type="button" onClick={() => (setForm(EMPTY), setErrors({}), setSaid(undefined))}>
          New category
        </button>
      </div>
      {said === undefined ? null : (
        <p role="status" data-testid="pricing-rule-said">
          {said}
        </p>
      )}
    </form>
  )
}

export function RuleTable({ rules, edit }: { rules: Rule[]; edit: (r: Rule) => void }) {
  if (rules.length === 0) return <p class="muted">No category has pricing rules yet.</p>
  return (
    <table class="stack" data-testid="pricing-rules">
      <thead>
        <tr>
          <th scope="col">Category</th>
          <th scope="col">Floor – ceiling</th>
          <th scope="col">A day at most</th>
          <th scope="col">Protected</th>
          <th scope="col">Mode</th>
          <th scope="col">Edit</th>
        </tr>
      </thead>
      <tbody>
        {rules.map((r) => (
          <tr key={r.category}>
            <td data-label="Category">{r.category}</td>
            <td data-label="Floor – ceiling">
              {r.floor} – {r.ceiling} × list price
            </td>
            <td data-label="A day at most">{(r.maxDailyChange * 100).toFixed(1)}%</td>
            <td data-label="Protected">
              {(r.protectedPeriods ?? []).length === 0
                ? 'none'
                : (r.protectedPeriods ?? [])
                    .map((p) => `${p.from.slice(0, 10)} – ${p.until.slice(0, 10)} (${p.reason})`)
                    .join('; ')}
            </td>
            <td data-label="Mode">{r.mode}</td>
            <td data-label="Edit">
              <button type="button" onClick={() => edit(r)}>
                Edit {r.category}
              </button>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

export { EMPTY as EMPTY_RULE_FORM }
export type { Form as RuleFormState }
