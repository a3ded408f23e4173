/**
 * The console's audit log: the verification of its hash chain and Merkle tree (with the signed
 * checkpoints), then the entries newest first, filtered by kind or action, actor and days, a page at
 * a time (the server's `next` cursor: older pages; a stack of the cursors already followed: newer
 * ones).
 */
import { useState } from 'preact/hooks'
import { formatDate } from '../api.js'
import { type AnswerOf, bearer, client, ok, type paths } from '../client.js'
import { type Loaded, Status, useLoad } from './load.js'

type AuditQuery = NonNullable<paths['/v1/audit']['get']['parameters']['query']>

/** The first word of the actions Candor writes (`consent.recorded`, `rights.erasure.completed`, ...). */
const KINDS = [
  'api_key',
  'audit',
  'catalog',
  'consent',
  'events',
  'recommend',
  'retention',
  'rights',
  'session',
  'settings',
  'vault',
] as const

export const AUDIT_PAGE_SIZE = 20

interface Filter {
  kind: string
  action: string
  actor: string
  from: string
  to: string
}
const NO_FILTER: Filter = { kind: '', action: '', actor: '', from: '', to: '' }

/** The query for one page: the kind is a prefix of the action unless an exact action is given. */
function query(filter: Filter, before: number | undefined): AuditQuery {
  const action = filter.action.trim() || (filter.kind === '' ? '' : `${filter.kind}.*`)
  const actor = filter.actor.trim()
  return {
    limit: AUDIT_PAGE_SIZE,
    ...(action === '' ? {} : { action }),
    ...(actor === '' ? {} : { actor }),
    ...(filter.from === '' ? {} : { from: filter.from }),
    ...(filter.to === '' ? {} : { to: filter.to }),
    ...(before === undefined ? {} : { before }),
  }
}

/** A few of an entry's details, short: ids, counts and purposes (the log holds no personal data). */
function detailText(details: Record<string, unknown>): string {
  return Object.entries(details)
    .filter(([, v]) => ['string', 'number', 'boolean'].includes(typeof v))
    .slice(0, 3)
    .map(([k, v]) => `${k}: ${String(v)}`)
    .join(', ')
}

type AuditPage = AnswerOf<'/v1/audit', 'get'>
type ChainCheck = AnswerOf<'/v1/audit/verify', 'get'>

function ChainStatus({ verify }: { verify: Loaded<ChainCheck> }) {
  return (
    <Status loaded={verify}>
      {(v) =>
        v.ok ? (
          <p class="ok" data-testid="chain">
            ✔ Hash chain and Merkle tree verified: {v.entries} entries, none changed, removed or
            reordered; {v.tree.checkpointsChecked} signed checkpoints match the tree.
          </p>
        ) : v.firstBrokenSeq !== undefined ? (
          <p class="error" data-testid="chain">
            ✘ Hash chain broken at entry {v.firstBrokenSeq}: {v.reason}
          </p>
        ) : (
          <p class="error" data-testid="chain">
            ✘ Merkle tree does not match: {v.reason}
          </p>
        )
      }
    </Status>
  )
}

/** The filter being edited (`draft`); `apply` makes it the one shown, from the first page. */
function AuditFilterForm({
  draft,
  setDraft,
  apply,
}: {
  draft: Filter
  setDraft: (draft: Filter) => void
  apply: (filter: Filter) => void
}) {
  const set = (field: keyof Filter) => (e: Event) =>
    setDraft({ ...draft, [field]: (e.target as HTMLInputElement | HTMLSelectElement).value })
  return (
    <form
      class="filters"
      aria-label="Filter the audit log"
      data-testid="audit-filter"
      onSubmit={(e) => {
        e.preventDefault()
        apply(draft)
      }}
    >
      <div>
        <label for="audit-kind">Kind</label>
        <select id="audit-kind" value={draft.kind} onChange={set('kind')}>
          <option value="">All kinds</option>
          {KINDS.map((k) => (
            <option key={k} value={k}>
              {k}
            </option>
          ))}
        </select>
      </div>
      <div>
        <label for="audit-action">Action</label>
        <input
          id="audit-action"
          type="text"
          placeholder="consent.recorded"
          value={draft.action}
          onInput={set('action')}
        />
      </div>
      <div>
        <label for="audit-actor">Actor</label>
        <input
          id="audit-actor"
          type="text"
          placeholder="key:* or system:rights"
          value={draft.actor}
          onInput={set('actor')}
        />
      </div>
      <div>
        <label for="audit-from">From</label>
        <input id="audit-from" type="date" value={draft.from} onInput={set('from')} />
      </div>
      <div>
        <label for="audit-to">To</label>
        <input id="audit-to" type="date" value={draft.to} onInput={set('to')} />
      </div>
      <div class="filter-buttons">
        <button type="submit" class="primary">
          Filter
        </button>
        <button type="button" class="link-button" onClick={() => apply(NO_FILTER)}>
          Clear
        </button>
      </div>
    </form>
  )
}

function AuditTable({ entries }: { entries: AuditPage['entries'] }) {
  return (
    <table class="stack" data-testid="audit">
      <thead>
        <tr>
          <th scope="col">#</th>
          <th scope="col">When</th>
          <th scope="col">Who</th>
          <th scope="col">What</th>
          <th scope="col">Subject (pseudonym)</th>
          <th scope="col">Details</th>
        </tr>
      </thead>
      <tbody>
        {entries.map((e) => (
          <tr key={e.seq} data-seq={e.seq}>
            <td data-label="#">{e.seq}</td>
            <td data-label="When">{formatDate(e.at)}</td>
            <td data-label="Who" class="mono">
              {e.actor}
            </td>
            <td data-label="What">{e.action}</td>
            <td data-label="Subject" class="mono">
              {e.subjectId?.slice(0, 16) ?? ''}
            </td>
            <td data-label="Details" class="small">
              {detailText(e.details)}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

export function AuditPanel({ token, verifies }: { token: string; verifies: boolean }) {
  const [verify] = useLoad(verifies ? `${token} verify` : undefined, () =>
    ok(client.GET('/v1/audit/verify', { headers: bearer(token) })),
  )
  const [draft, setDraft] = useState<Filter>(NO_FILTER)
  const [filter, setFilter] = useState<Filter>(NO_FILTER)
  /** The `before` cursor of every page from the first to the one shown. */
  const [cursors, setCursors] = useState<(number | undefined)[]>([undefined])
  const before = cursors[cursors.length - 1]
  const q = query(filter, before)
  const [page] = useLoad(`${token} ${JSON.stringify(q)}`, () =>
    ok(client.GET('/v1/audit', { headers: bearer(token), params: { query: q } })),
  )
  const apply = (next: Filter) => {
    setDraft(next)
    setFilter(next)
    setCursors([undefined])
  }

  return (
    <>
      {verifies ? <ChainStatus verify={verify} /> : null}
      <AuditFilterForm draft={draft} setDraft={setDraft} apply={apply} />
      <p class="small muted">
        An action names one kind of entry; a <code>*</code> at the end of an action or actor matches
        every one that starts so. Days are UTC, both included.
      </p>
      <Status loaded={page}>
        {({ entries, next }) => (
          <>
            {entries.length === 0 ? <p>No entries match.</p> : <AuditTable entries={entries} />}
            <nav class="pager" aria-label="Audit log pages">
              <button
                type="button"
                disabled={cursors.length === 1}
                onClick={() => setCursors(cursors.slice(0, -1))}
              >
                ← Newer
              </button>
              <span data-testid="audit-page">Page {cursors.length}</span>
              <button
                type="button"
                disabled={next === null}
                onClick={() => setCursors([...cursors, next ?? undefined])}
              >
                Older →
              </button>
            </nav>
          </>
        )}
      </Status>
    </>
  )
}
