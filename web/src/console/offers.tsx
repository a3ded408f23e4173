/**
 * The offers panel (issue 21): staff define or edit an offer (content, eligibility, schedule,
 * touchpoints, the purpose it rests on) and see each wrong field named beside it, list the offers, and
 * prepare the e-mail touchpoint's messages with the counts that came out. The server checks every rule
 * (`PUT /v1/offers`, `POST /v1/offers/sends`); the form only gathers the input.
 */
import type { JSX } from 'preact'
import { useState } from 'preact/hooks'
import { ApiError, type Notice, noticePurposes } from '../api.js'
import { type AnswerOf, bearer, client, ok, type paths } from '../client.js'
import { Status, useLoad } from './load.js'
import { OfferTotals } from './offer-totals.js'

type OfferList = Extract<AnswerOf<'/v1/offers', 'get'>, { offers: unknown }>
type Offer = OfferList['offers'][number]
type OfferBody = NonNullable<
  paths['/v1/offers']['put']['requestBody']
>['content']['application/json']
type SendCounts = AnswerOf<'/v1/offers/sends', 'post'>

/** The form's fields, as text (lists comma-separated), and the API field each one answers for. */
const FIELDS = {
  id: 'body.id',
  title: 'body.content.title',
  text: 'body.content.text',
  imageUrl: 'body.content.imageUrl',
  link: 'body.content.link',
  purpose: 'body.purpose',
  touchpoints: 'body.touchpoints',
  priority: 'body.priority',
  from: 'body.schedule.from',
  until: 'body.schedule.until',
  categoryAffinity: 'body.eligibility.categoryAffinity',
  cartContains: 'body.eligibility.cartContains',
  customer: 'body.eligibility.customer',
  jurisdictions: 'body.eligibility.jurisdictions',
} as const
type Field = keyof typeof FIELDS
type Form = Record<Field, string> & { active: boolean }
type InputType = 'text' | 'url' | 'number' | 'datetime-local'

const EMPTY: Form = {
  id: '',
  title: '',
  text: '',
  imageUrl: '',
  link: '',
  purpose: 'marketing.advertising.first_party',
  touchpoints: 'recommendations_widget',
  priority: '0',
  from: '',
  until: '',
  categoryAffinity: '',
  cartContains: '',
  customer: '',
  jurisdictions: '',
  active: true,
}

const list = (s: string) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '')
const opt = <K extends string, V>(key: K, value: V | undefined | '') =>
  (value === undefined || value === '' || (Array.isArray(value) && value.length === 0)
    ? {}
    : { [key]: value }) as Partial<Record<K, V>>
const isoOf = (local: string) => (local === '' ? undefined : new Date(local).toISOString())
const localOf = (iso: string | undefined) => (iso === undefined ? '' : iso.slice(0, 16))

function bodyOf(f: Form): OfferBody {
  return {
    id: f.id.trim(),
    content: {
      title: f.title,
      ...opt('text', f.text),
      ...opt('imageUrl', f.imageUrl.trim()),
      ...opt('link', f.link.trim()),
    },
    eligibility: {
      ...opt('categoryAffinity', list(f.categoryAffinity)),
      ...opt('cartContains', list(f.cartContains)),
      ...opt('customer', f.customer as 'new' | 'returning' | ''),
      ...opt('jurisdictions', list(f.jurisdictions)),
    },
    schedule: { ...opt('from', isoOf(f.from)), ...opt('until', isoOf(f.until)) },
    touchpoints: list(f.touchpoints),
    purpose: f.purpose,
    priority: Number(f.priority),
    active: f.active,
  }
}

function formOf(o: Offer): Form {
  const e = o.eligibility ?? {}
  return {
    id: o.id,
    title: o.content.title,
    text: o.content.text ?? '',
    imageUrl: o.content.imageUrl ?? '',
    link: o.content.link ?? '',
    purpose: o.purpose,
    touchpoints: o.touchpoints.join(', '),
    priority: String(o.priority ?? 0),
    from: localOf(o.schedule?.from),
    until: localOf(o.schedule?.until),
    categoryAffinity: (e.categoryAffinity ?? []).join(', '),
    cartContains: (e.cartContains ?? []).join(', '),
    customer: e.customer ?? '',
    jurisdictions: (e.jurisdictions ?? []).join(', '),
    active: o.active ?? true,
  }
}

/** The form field a problem's `field` (`body.touchpoints.1`) belongs to. */
function fieldOf(apiField: string): Field | undefined {
  return (Object.keys(FIELDS) as Field[]).find(
    (k) => apiField === FIELDS[k] || apiField.startsWith(`${FIELDS[k]}.`),
  )
}

const LABELS: Record<Field, string> = {
  id: 'Id (a-z, 0-9, _ and -)',
  title: 'Title',
  text: 'Text',
  imageUrl: 'Image URL',
  link: 'Link',
  purpose: 'Charter purpose it rests on',
  touchpoints: 'Touchpoints (comma-separated)',
  priority: 'Priority (0-1000, higher first)',
  from: 'Runs from (UTC)',
  until: 'Runs until (UTC)',
  categoryAffinity: 'Category affinity (a/b, comma-separated)',
  cartContains: 'Cart contains (item ids)',
  customer: 'Customer',
  jurisdictions: 'Jurisdictions (codes)',
}

function Input(props: {
  name: Field
  form: Form
  errors: Partial<Record<Field, string>>
  set: (f: Form) => void
  type?: InputType
}) {
  const { name, form, errors } = props
  const error = errors[name]
  return (
    <div class="offer-field">
      <label for={`offer-${name}`}>{LABELS[name]}</label>
      <input
        id={`offer-${name}`}
        // One input for every kind: Preact types each kind apart, the browser takes any.
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
        type={(props.type ?? 'text') as 'text'}
        value={form[name]}
        aria-invalid={error === undefined ? undefined : 'true'}
        aria-describedby={error === undefined ? undefined : `offer-${name}-error`}
        onInput={(e) => props.set({ ...form, [name]: (e.target as HTMLInputElement).value })}
      />
      {error === undefined ? null : (
        <p id={`offer-${name}-error`} class="error small" data-testid={`error-${name}`}>
          {error}
        </p>
      )}
    </div>
  )
}

type InputOf = (name: Field, type?: InputType) => JSX.Element

/** Where and why an offer runs, and who is eligible. */
function WhereFields(props: {
  form: Form
  setForm: (f: Form) => void
  errors: Partial<Record<Field, string>>
  purposes: { key: string; title: string }[]
  input: InputOf
}) {
  const { form, setForm, errors, purposes, input } = props
  return (
    <>
      <fieldset>
        <legend>Where and why</legend>
        <div class="offer-field">
          <label for="offer-purpose">{LABELS.purpose}</label>
          <select
            id="offer-purpose"
            value={form.purpose}
            onChange={(e) => setForm({ ...form, purpose: (e.target as HTMLSelectElement).value })}
          >
            {purposes.map((p) => (
              <option key={p.key} value={p.key}>
                {p.title} ({p.key})
              </option>
            ))}
          </select>
          {errors.purpose === undefined ? null : (
            <p class="error small" data-testid="error-purpose">
              {errors.purpose}
            </p>
          )}
        </div>
        {input('touchpoints')}
        {input('priority', 'number')}
        {input('from', 'datetime-local')}
        {input('until', 'datetime-local')}
        <label class="offer-check">
          <input
            type="checkbox"
            checked={form.active}
            onChange={(e) => setForm({ ...form, active: (e.target as HTMLInputElement).checked })}
          />{' '}
          Active
        </label>
      </fieldset>
      <fieldset>
        <legend>Who is eligible (every condition given must hold)</legend>
        {input('categoryAffinity')}
        {input('cartContains')}
        <div class="offer-field">
          <label for="offer-customer">{LABELS.customer}</label>
          <select
            id="offer-customer"
            value={form.customer}
            onChange={(e) => setForm({ ...form, customer: (e.target as HTMLSelectElement).value })}
          >
            <option value="">Anyone</option>
            <option value="new">New (no purchase yet)</option>
            <option value="returning">Returning</option>
          </select>
        </div>
        {input('jurisdictions')}
      </fieldset>
    </>
  )
}

function OfferForm(props: {
  token: string
  notice: Notice | undefined
  form: Form
  setForm: (f: Form) => void
  saved: () => void
}) {
  const { form, setForm } = props
  const [errors, setErrors] = useState<Partial<Record<Field, string>>>({})
  const [said, setSaid] = useState<string>()
  const purposes = props.notice === undefined ? [] : noticePurposes(props.notice)
  const input = (name: Field, type?: InputType) => (
    <Input name={name} form={form} errors={errors} set={setForm} {...(type ? { type } : {})} />
  )
  return (
    <form
      class="offer-form"
      data-testid="offer-form"
      noValidate
      onSubmit={(e) => {
        e.preventDefault()
        setSaid(undefined)
        ok(client.PUT('/v1/offers', { headers: bearer(props.token), body: bodyOf(form) }))
          .then((o) => {
            setErrors({})
            setSaid(`Saved offer ${o.id}.`)
            props.saved()
          })
          .catch((err: unknown) => {
            const issues = (err instanceof ApiError ? err.problem.errors : undefined) as
              { field: string; reason: string }[] | undefined
            const next: Partial<Record<Field, string>> = {}
            for (const i of issues ?? []) {
              const f = fieldOf(i.field)
              if (f !== undefined) next[f] ??= i.reason
            }
            setErrors(next)
            setSaid(err instanceof Error ? err.message : String(err))
          })
      }}
    >
      <fieldset>
        <legend>Content</legend>
        {input('id')}
        {input('title')}
        {input('text')}
        {input('imageUrl', 'url')}
        {input('link', 'url')}
      </fieldset>
      <WhereFields
        form={form}
        setForm={setForm}
        errors={errors}
        purposes={purposes}
        input={input}
      />
      <div class="filter-buttons">
        <button type="submit" class="primary">
          Save offer
        </button>
        <button type="button" onClick={() => (setForm(EMPTY), setErrors({}), setSaid(undefined))}>
          New offer
        </button>
      </div>
      {said === undefined ? null : (
        <p role="status" data-testid="offer-said">
          {said}
        </p>
      )}
    </form>
  )
}

function OfferTable({ offers, edit }: { offers: Offer[]; edit: (o: Offer) => void }) {
  if (offers.length === 0) return <p class="muted">No offers yet.</p>
  return (
    <table class="stack" data-testid="offers-table">
      <thead>
        <tr>
          <th scope="col">Offer</th>
          <th scope="col">Purpose</th>
          <th scope="col">Touchpoints</th>
          <th scope="col">Runs</th>
          <th scope="col">Priority</th>
          <th scope="col">Edit</th>
        </tr>
      </thead>
      <tbody>
        {offers.map((o) => (
          <tr key={o.id}>
            <td data-label="Offer">
              {o.content.title} <span class="mono small">{o.id}</span>
              {o.active === false ? <span class="muted"> (paused)</span> : null}
            </td>
            <td data-label="Purpose" class="mono">
              {o.purpose}
            </td>
            <td data-label="Touchpoints">{o.touchpoints.join(', ')}</td>
            <td data-label="Runs">
              {o.schedule?.from?.slice(0, 10) ?? 'now'} –{' '}
              {o.schedule?.until?.slice(0, 10) ?? 'open'}
            </td>
            <td data-label="Priority">{o.priority ?? 0}</td>
            <td data-label="Edit">
              <button type="button" onClick={() => edit(o)}>
                Edit
              </button>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

function SendBox({ token, sent }: { token: string; sent: () => void }) {
  const [counts, setCounts] = useState<SendCounts | string>()
  return (
    <div class="offer-send">
      <button
        type="button"
        onClick={() =>
          void ok(
            client.POST('/v1/offers/sends', {
              headers: bearer(token),
              body: { touchpoint: 'offers_email' },
            }),
          )
            .then((c) => (setCounts(c), sent()))
            .catch((e: unknown) => setCounts(e instanceof Error ? e.message : String(e)))
        }
      >
        Prepare e-mail offers now (offers_email)
      </button>
      {counts === undefined ? null : typeof counts === 'string' ? (
        <p class="error">{counts}</p>
      ) : (
        <p role="status" data-testid="send-counts">
          {counts.prepared} prepared for {counts.candidates} subjects with a grant on record:{' '}
          {counts.capped} over the frequency cap, {counts.noOffer} with no eligible offer,{' '}
          {counts.noAddress} without an address.
        </p>
      )}
    </div>
  )
}

/** The offers panel, for a key that may define offers (admin). */
export function OffersPanel({ token, notice }: { token: string; notice: Notice | undefined }) {
  const [offers, reload] = useLoad(`${token} offers`, () =>
    ok(client.GET('/v1/offers', { headers: bearer(token) })).then(
      (a) => ('offers' in a ? a.offers : []) as Offer[],
    ),
  )
  const [form, setForm] = useState<Form>(EMPTY)
  // Counts the changes made here, so that the totals are read again after each.
  const [changes, setChanges] = useState(0)
  const changed = () => {
    reload()
    setChanges((n) => n + 1)
  }
  return (
    <section class="panel" aria-labelledby="offers-h" data-testid="offers-panel">
      <h2 id="offers-h">Offers</h2>
      <Status loaded={offers}>
        {(list) => (
          <>
            <OfferTable offers={list} edit={(o) => setForm(formOf(o))} />
            <OfferTotals
              token={token}
              titles={new Map(list.map((o) => [o.id, o.content.title]))}
              version={changes}
            />
          </>
        )}
      </Status>
      <SendBox token={token} sent={changed} />
      <h3>{form.id === '' ? 'New offer' : `Offer ${form.id}`}</h3>
      <OfferForm token={token} notice={notice} form={form} setForm={setForm} saved={changed} />
    </section>
  )
}
