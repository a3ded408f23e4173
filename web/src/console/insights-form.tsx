/**
 * The Insights panel's query builder: what to count (events, distinct shoppers, or a bounded sum or
 * mean), up to three groupings, the days and event types to read, and epsilon, explained in plain words.
 * A field the server refused shows its reason under it. "Dry run" asks what the query would cost without
 * spending anything; "Run" spends it, and is offered only once the same query has been dry-run.
 */
import {
  type Dimension,
  EVENT_TYPES,
  type EventType,
  type InsightsQuery,
  type Measure,
  type ValueField,
} from './insights-api.js'

export const MEASURE_NAMES: Record<Measure, string> = {
  events: 'Number of events',
  subjects: 'Number of distinct shoppers',
  sum: 'Sum of a value',
  mean: 'Mean of a value',
}
const FIELD_NAMES: Record<ValueField, string> = { quantity: 'Quantity', price: 'Price' }
export const DIMENSION_NAMES: Record<Dimension, string> = {
  item: 'Item',
  category: 'Category',
  day: 'Day',
  week: 'Week',
  placement: 'Placement',
  level: 'Personalization level',
  jurisdiction: 'Where the shopper is',
}
const GROUPINGS = 3

/** The form as typed: strings, an empty grouping is none. */
export interface Draft {
  measure: Measure
  field: ValueField
  groupBy: (Dimension | '')[]
  from: string
  to: string
  types: EventType[]
  epsilon: string
}

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10)
export function initialDraft(now = Date.now()): Draft {
  return {
    measure: 'events',
    field: 'quantity',
    groupBy: ['category', '', ''],
    from: day(now - 90 * 86_400_000),
    to: day(now),
    types: ['purchase'],
    epsilon: '1',
  }
}

/** The route's body for a draft (always with its groupings, none being `[]`). */
export function queryOf(draft: Draft, dryRun: boolean): InsightsQuery & { groupBy: Dimension[] } {
  const usesField = draft.measure === 'sum' || draft.measure === 'mean'
  return {
    measure: draft.measure,
    ...(usesField ? { field: draft.field } : {}),
    groupBy: draft.groupBy.filter((d): d is Dimension => d !== ''),
    filters: {
      ...(draft.from === '' ? {} : { from: draft.from }),
      ...(draft.to === '' ? {} : { to: draft.to }),
      ...(draft.types.length === 0 ? {} : { types: draft.types }),
    },
    epsilon: Number(draft.epsilon),
    dryRun,
  }
}

/** The reason the server gave for one form field, under it, tied to it for screen readers. */
function FieldError({ name, errors }: { name: string; errors: Map<string, string> }) {
  const reason = errors.get(name)
  return reason === undefined ? null : (
    <p class="error small field-error" id={`ins-${name}-error`}>
      {reason}
    </p>
  )
}
function invalid(name: string, errors: Map<string, string>) {
  return errors.has(name)
    ? { 'aria-invalid': true as const, 'aria-describedby': `ins-${name}-error` }
    : {}
}

/** What each part of the form is given: the draft, a way to change it, and the server's field errors. */
interface FormPart {
  draft: Draft
  set: (change: Partial<Draft>) => void
  errors: Map<string, string>
}

const value = (e: Event) => (e.target as HTMLInputElement | HTMLSelectElement).value

/** What is counted: the measure, and the value field of a sum or mean. */
function MeasureFields({ draft, set, errors }: FormPart) {
  const usesField = draft.measure === 'sum' || draft.measure === 'mean'
  return (
    <>
      <div>
        <label for="ins-measure">Count</label>
        <select
          id="ins-measure"
          value={draft.measure}
          onChange={(e) => set({ measure: value(e) as Measure })}
          {...invalid('measure', errors)}
        >
          {Object.entries(MEASURE_NAMES).map(([key, name]) => (
            <option key={key} value={key}>
              {name}
            </option>
          ))}
        </select>
        <FieldError name="measure" errors={errors} />
      </div>
      {usesField ? (
        <div>
          <label for="ins-field">Of</label>
          <select
            id="ins-field"
            value={draft.field}
            onChange={(e) => set({ field: value(e) as ValueField })}
            {...invalid('field', errors)}
          >
            {Object.entries(FIELD_NAMES).map(([key, name]) => (
              <option key={key} value={key}>
                {name}
              </option>
            ))}
          </select>
          <FieldError name="field" errors={errors} />
        </div>
      ) : null}
    </>
  )
}

/** Up to three groupings, each dimension at most once. */
function GroupingFields({ draft, set, errors }: FormPart) {
  return (
    <>
      {Array.from({ length: GROUPINGS }, (_, i) => (
        <div key={i}>
          <label for={`ins-group-${i}`}>{i === 0 ? 'Group by' : `Then by`}</label>
          <select
            id={`ins-group-${i}`}
            value={draft.groupBy[i] ?? ''}
            onChange={(e) =>
              set({
                groupBy: draft.groupBy.map((d, j) => (j === i ? (value(e) as Dimension | '') : d)),
              })
            }
            {...(i === 0 ? invalid('groupBy', errors) : {})}
          >
            <option value="">(nothing)</option>
            {Object.entries(DIMENSION_NAMES).map(([key, name]) => (
              <option
                key={key}
                value={key}
                disabled={draft.groupBy.some((d, j) => j !== i && d === key)}
              >
                {name}
              </option>
            ))}
          </select>
          {i === 0 ? <FieldError name="groupBy" errors={errors} /> : null}
        </div>
      ))}
    </>
  )
}

/** The range of days, inclusive. */
function DayFields({ draft, set, errors }: FormPart) {
  return (
    <>
      <div>
        <label for="ins-from">From</label>
        <input
          id="ins-from"
          type="date"
          value={draft.from}
          onInput={(e) => set({ from: value(e) })}
          {...invalid('from', errors)}
        />
        <FieldError name="from" errors={errors} />
      </div>
      <div>
        <label for="ins-to">To</label>
        <input
          id="ins-to"
          type="date"
          value={draft.to}
          onInput={(e) => set({ to: value(e) })}
          {...invalid('to', errors)}
        />
        <FieldError name="to" errors={errors} />
      </div>
    </>
  )
}

/** Which event types count (none ticked: all). */
function TypeFields({ draft, set, errors }: FormPart) {
  return (
    <>
      <fieldset class="ins-types" {...invalid('types', errors)}>
        <legend>Event types (none ticked: all)</legend>
        {EVENT_TYPES.map((type) => (
          <label key={type} class="check">
            <input
              type="checkbox"
              checked={draft.types.includes(type)}
              onChange={(e) =>
                set({
                  types: (e.target as HTMLInputElement).checked
                    ? EVENT_TYPES.filter((t) => t === type || draft.types.includes(t))
                    : draft.types.filter((t) => t !== type),
                })
              }
            />{' '}
            {type}
          </label>
        ))}
        <FieldError name="types" errors={errors} />
      </fieldset>
    </>
  )
}

/** Epsilon, with what it means in plain words. */
function EpsilonField({ draft, set, errors }: FormPart) {
  return (
    <>
      <div class="ins-epsilon">
        <label for="ins-epsilon">Epsilon (ε)</label>
        <input
          id="ins-epsilon"
          type="number"
          inputMode="decimal"
          min="0.01"
          max="5"
          step="0.01"
          value={draft.epsilon}
          onInput={(e) => set({ epsilon: value(e) })}
          aria-describedby={
            errors.has('epsilon') ? 'ins-epsilon-error ins-epsilon-help' : 'ins-epsilon-help'
          }
          {...(errors.has('epsilon') ? { 'aria-invalid': true } : {})}
        />
        <FieldError name="epsilon" errors={errors} />
      </div>
      <p class="small ins-help" id="ins-epsilon-help">
        Epsilon is how much this one answer may tell about any single shopper. Every figure is
        blurred with random noise: a smaller ε means more noise (wider intervals) and spends less of
        the key's budget (ρ = ε²/2); a larger ε gives sharper figures and spends more. Around 1
        suits a single figure; the budget meter below shows how much is left.
      </p>
    </>
  )
}

export function QueryForm(props: {
  draft: Draft
  onChange: (draft: Draft) => void
  errors: Map<string, string>
  busy: boolean
  /** Whether the draft as it stands has been dry-run (so Run may spend). */
  checked: boolean
  onDryRun: () => void
  onRun: () => void
}) {
  const { draft, errors, busy } = props
  const set = (change: Partial<Draft>) => props.onChange({ ...draft, ...change })
  return (
    <form
      class="filters insights-form"
      aria-label="Insights query"
      noValidate
      onSubmit={(e) => {
        e.preventDefault()
        props.onDryRun()
      }}
    >
      <MeasureFields draft={draft} set={set} errors={errors} />
      <GroupingFields draft={draft} set={set} errors={errors} />
      <DayFields draft={draft} set={set} errors={errors} />
      <TypeFields draft={draft} set={set} errors={errors} />
      <EpsilonField draft={draft} set={set} errors={errors} />
      <div class="filter-buttons">
        <button type="submit" class="small-button" disabled={busy}>
          Dry run (free)
        </button>
        <button
          type="button"
          class="primary"
          disabled={busy || !props.checked}
          aria-describedby={props.checked ? undefined : 'ins-run-note'}
          onClick={props.onRun}
        >
          Run
        </button>
        {props.checked ? null : (
          <span class="small muted" id="ins-run-note">
            Dry run first to see the cost.
          </span>
        )}
      </div>
    </form>
  )
}
