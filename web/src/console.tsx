/**
 * The staff console: log in with an API key; each panel shows what that key's role may read. Panels for
 * parts of Candor this server does not offer yet say so.
 */
import { useEffect, useState } from 'preact/hooks'
import {
  ApiError,
  type Notice,
  type RightsRequest,
  api,
  formatDate,
  loadNotice,
  noticePurposes,
} from './api.js'
import { type TrainingRun, TrainingQuality } from './training-quality.js'

const KEY_STORE = 'candor-console.key'

interface AuditEntry {
  seq: number
  at: string
  actor: string
  action: string
  subjectId: string | null
  details: Record<string, unknown>
}
interface Verification {
  ok: boolean
  entries: number
  firstBrokenSeq?: number
  reason?: string
}

type Loaded<T> =
  | { state: 'loading' }
  | { state: 'ok'; value: T }
  | { state: 'absent' | 'forbidden' | 'error'; text: string }

function useLoad<T>(
  key: string | undefined,
  path: string,
  pick: (raw: unknown) => T,
  deps: unknown[] = [],
): Loaded<T> {
  const [result, setResult] = useState<Loaded<T>>({ state: 'loading' })
  useEffect(() => {
    if (key === undefined) return
    setResult({ state: 'loading' })
    api<unknown>('GET', path, { token: key })
      .then((raw) => setResult({ state: 'ok', value: pick(raw) }))
      .catch((e: unknown) => {
        if (e instanceof ApiError && (e.status === 404 || e.status === 405))
          setResult({ state: 'absent', text: 'This server does not offer this yet.' })
        else if (e instanceof ApiError && e.status === 403)
          setResult({ state: 'forbidden', text: 'Your role may not see this.' })
        else setResult({ state: 'error', text: e instanceof Error ? e.message : String(e) })
      })
  }, [key, path, ...deps])
  return result
}

function Status<T>({
  loaded,
  children,
}: {
  loaded: Loaded<T>
  children: (value: T) => preact.ComponentChildren
}) {
  if (loaded.state === 'loading') return <p>Loading…</p>
  if (loaded.state === 'ok') return <>{children(loaded.value)}</>
  return <p class={loaded.state === 'error' ? 'error' : 'muted'}>{loaded.text}</p>
}

/** Consent rates per purpose and day, from the audit log's `consent.recorded` entries (no personal data). */
export function consentRates(entries: AuditEntry[]) {
  const days = new Map<string, Map<string, { granted: number; total: number }>>()
  for (const entry of entries) {
    if (entry.action !== 'consent.recorded') continue
    const purpose = entry.details.purpose
    const decision = entry.details.decision
    if (typeof purpose !== 'string') continue
    const day = entry.at.slice(0, 10)
    let byPurpose = days.get(day)
    if (byPurpose === undefined) days.set(day, (byPurpose = new Map()))
    const cell = byPurpose.get(purpose) ?? { granted: 0, total: 0 }
    cell.total++
    if (decision === 'granted') cell.granted++
    byPurpose.set(purpose, cell)
  }
  return [...days.entries()].sort(([a], [b]) => (a < b ? -1 : 1))
}

const COLOURS = ['#1f6f8b', '#c0392b', '#27ae60', '#8e44ad', '#d68910', '#2c3e50']

interface OnlineGroup {
  level: string
  placement: string
  answers: number
  viewed: number
  carted: number
  purchased: number
  notInterested: number
  viewRate: number
  cartRate: number
  purchaseRate: number
  notInterestedRate: number
}
interface OnlineQuality {
  minAnswers: number
  groups: OnlineGroup[]
  total: OnlineGroup
  withheld: { groups: number; answers: number }
}

const percent = (rate: number) => `${(rate * 100).toFixed(1)}%`

/** What shoppers did with the answers they were shown, per level and placement (no one is named). */
function OnlineTable({ online }: { online: OnlineQuality }) {
  if (online.groups.length === 0 && online.withheld.answers === 0)
    return <p>No recommendations were served in this period.</p>
  const row = (g: OnlineGroup, head: boolean) => (
    <tr key={`${g.level}/${g.placement}`} class={head ? 'total' : ''}>
      <th scope="row">{head ? 'All shown' : `${g.level} · ${g.placement}`}</th>
      <td>{g.answers}</td>
      <td>{percent(g.viewRate)}</td>
      <td>{percent(g.cartRate)}</td>
      <td>{percent(g.purchaseRate)}</td>
      <td>{percent(g.notInterestedRate)}</td>
    </tr>
  )
  return (
    <>
      <table data-testid="online">
        <thead>
          <tr>
            <th scope="col">Level · placement</th>
            <th scope="col">Answers</th>
            <th scope="col">Viewed</th>
            <th scope="col">Added to basket</th>
            <th scope="col">Bought</th>
            <th scope="col">"Not this"</th>
          </tr>
        </thead>
        <tbody>
          {online.groups.map((g) => row(g, false))}
          {online.groups.length > 1 ? row(online.total, true) : null}
        </tbody>
      </table>
      <p class="muted">
        Share of answers after which the shopper viewed, added, bought or turned down one of the
        suggested items. Groups under {online.minAnswers} answers are merged
        {online.withheld.answers > 0
          ? `; ${online.withheld.answers} answers in groups too small to show are withheld`
          : ''}
        .
      </p>
    </>
  )
}

function RateChart({ entries, notice }: { entries: AuditEntry[]; notice: Notice }) {
  const series = consentRates(entries)
  const purposes = noticePurposes(notice).filter((p) => p.group !== 'needed')
  if (series.length === 0) return <p>No consent choices recorded yet.</p>
  const width = 640
  const height = 220
  const pad = 36
  const x = (i: number) =>
    pad +
    (series.length === 1 ? (width - 2 * pad) / 2 : (i * (width - 2 * pad)) / (series.length - 1))
  const y = (rate: number) => height - pad - rate * (height - 2 * pad)
  return (
    <figure class="chart">
      <svg
        viewBox={`0 0 ${width} ${height}`}
        role="img"
        aria-labelledby="rates-title rates-desc"
        width="100%"
      >
        <title id="rates-title">Share of “yes” among consent choices, per purpose and day</title>
        <desc id="rates-desc">
          {purposes
            .map((p) => {
              const last = series[series.length - 1]![1].get(p.key)
              return `${p.title}: ${last === undefined ? 'no choices' : `${Math.round((100 * last.granted) / last.total)}% yes`} on the last day`
            })
            .join('. ')}
        </desc>
        {[0, 0.5, 1].map((r) => (
          <g key={r}>
            <line x1={pad} x2={width - pad} y1={y(r)} y2={y(r)} stroke="#ddd" />
            <text x={4} y={y(r) + 4} font-size="11">
              {r * 100}%
            </text>
          </g>
        ))}
        {series.map(([day], i) => (
          <text key={day} x={x(i)} y={height - 8} font-size="10" text-anchor="middle">
            {day.slice(5)}
          </text>
        ))}
        {purposes.map((p, k) => {
          const points = series
            .map(([, byPurpose], i) => {
              const cell = byPurpose.get(p.key)
              return cell === undefined
                ? undefined
                : ([x(i), y(cell.granted / cell.total)] as const)
            })
            .filter((pt): pt is readonly [number, number] => pt !== undefined)
          const colour = COLOURS[k % COLOURS.length]!
          return (
            <g key={p.key} data-purpose={p.key}>
              <polyline
                fill="none"
                stroke={colour}
                stroke-width="2"
                points={points.map((pt) => pt.join(',')).join(' ')}
              />
              {points.map(([px, py]) => (
                <circle key={`${px}`} cx={px} cy={py} r="3.5" fill={colour} />
              ))}
            </g>
          )
        })}
      </svg>
      <figcaption>
        <ul class="legend">
          {purposes.map((p, k) => (
            <li key={p.key}>
              <span class="swatch" style={{ background: COLOURS[k % COLOURS.length] }} /> {p.title}
            </li>
          ))}
        </ul>
        Computed from the last {entries.length} audit entries.
      </figcaption>
    </figure>
  )
}

function Login({ onKey }: { onKey: (key: string) => void }) {
  const [value, setValue] = useState('')
  const [error, setError] = useState<string>()
  return (
    <main class="page narrow">
      <h1>Staff console</h1>
      <form
        onSubmit={(e) => {
          e.preventDefault()
          const key = value.trim()
          api('GET', '/v1/audit/verify', { token: key })
            .then(() => onKey(key))
            .catch((err: unknown) => {
              if (err instanceof ApiError && err.status === 403) onKey(key)
              else
                setError(
                  err instanceof ApiError && err.status === 401
                    ? 'That key is not valid.'
                    : String(err),
                )
            })
        }}
      >
        <label for="api-key">API key</label>
        <input
          id="api-key"
          type="password"
          autoComplete="off"
          value={value}
          onInput={(e) => setValue((e.target as HTMLInputElement).value)}
          required
        />
        <button type="submit" class="primary">
          Log in
        </button>
        {error === undefined ? null : (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <p class="small muted">
          Create a key with <code>npx candor keys create --role privacy_officer</code>. In demo mode
          a key is in <code>data/demo-staff.key</code>.
        </p>
      </form>
    </main>
  )
}

export function Console() {
  const [key, setKey] = useState<string | undefined>(
    () => sessionStorage.getItem(KEY_STORE) ?? undefined,
  )
  const [notice, setNotice] = useState<Notice>()
  useEffect(() => void loadNotice().then(setNotice), [])

  const queue = useLoad(key, '/v1/rights-requests', (raw) => {
    const list = Array.isArray(raw)
      ? raw
      : ((raw as { requests?: unknown[]; items?: unknown[] }).requests ??
        (raw as { items?: unknown[] }).items ??
        [])
    return (list as RightsRequest[]).sort((a, b) => (a.dueAt < b.dueAt ? -1 : 1))
  })
  const verify = useLoad(key, '/v1/audit/verify', (raw) => raw as Verification)
  const audit = useLoad(
    key,
    '/v1/audit?limit=500',
    (raw) => (raw as { entries: AuditEntry[] }).entries,
  )
  const quality = useLoad(key, '/v1/recommendations/quality', (raw) => {
    const { run, runs, online } = raw as {
      run: TrainingRun | null
      // A server from before `runs` gives only the latest run.
      runs?: TrainingRun[]
      online?: OnlineQuality
    }
    return { run, runs: runs ?? (run === null ? [] : [run]), online }
  })

  if (key === undefined) {
    return (
      <Login
        onKey={(k) => {
          sessionStorage.setItem(KEY_STORE, k)
          setKey(k)
        }}
      />
    )
  }
  const now = Date.now()
  return (
    <main class="page console">
      <div class="console-head">
        <h1>Staff console</h1>
        <button
          type="button"
          class="link-button"
          onClick={() => {
            sessionStorage.removeItem(KEY_STORE)
            setKey(undefined)
          }}
        >
          Log out
        </button>
      </div>

      <section class="panel" aria-labelledby="queue-h">
        <h2 id="queue-h">Rights requests</h2>
        <Status loaded={queue}>
          {(requests) =>
            requests.length === 0 ? (
              <p>No requests in the queue.</p>
            ) : (
              <table data-testid="queue">
                <thead>
                  <tr>
                    <th scope="col">Request</th>
                    <th scope="col">Type</th>
                    <th scope="col">Status</th>
                    <th scope="col">Received</th>
                    <th scope="col">Due by</th>
                  </tr>
                </thead>
                <tbody>
                  {requests.map((r) => {
                    const open = r.status !== 'completed' && r.status !== 'denied'
                    const overdue = r.overdue === true || (open && Date.parse(r.dueAt) < now)
                    return (
                      <tr key={r.id} class={overdue ? 'overdue' : ''}>
                        <td>{r.id}</td>
                        <td>{r.type}</td>
                        <td>{r.status}</td>
                        <td>{r.receivedAt === undefined ? '' : formatDate(r.receivedAt)}</td>
                        <td>
                          {formatDate(r.dueAt)}{' '}
                          {overdue ? <strong class="badge">Overdue</strong> : null}
                        </td>
                      </tr>
                    )
                  })}
                </tbody>
              </table>
            )
          }
        </Status>
      </section>

      <section class="panel" aria-labelledby="rates-h">
        <h2 id="rates-h">Consent rates per purpose</h2>
        <Status loaded={audit}>
          {(entries) =>
            notice === undefined ? null : <RateChart entries={entries} notice={notice} />
          }
        </Status>
      </section>

      <section class="panel" aria-labelledby="audit-h">
        <h2 id="audit-h">Audit log</h2>
        <Status loaded={verify}>
          {(v) =>
            v.ok ? (
              <p class="ok" data-testid="chain">
                ✔ Chain verified: {v.entries} entries, none changed, removed or reordered.
              </p>
            ) : (
              <p class="error" data-testid="chain">
                ✘ Chain broken at entry {v.firstBrokenSeq}: {v.reason}
              </p>
            )
          }
        </Status>
        <Status loaded={audit}>
          {(entries) => (
            <table>
              <thead>
                <tr>
                  <th scope="col">#</th>
                  <th scope="col">When</th>
                  <th scope="col">Who</th>
                  <th scope="col">What</th>
                  <th scope="col">Subject (pseudonym)</th>
                </tr>
              </thead>
              <tbody>
                {entries.slice(0, 15).map((e) => (
                  <tr key={e.seq}>
                    <td>{e.seq}</td>
                    <td>{formatDate(e.at)}</td>
                    <td>{e.actor}</td>
                    <td>{e.action}</td>
                    <td class="mono">{e.subjectId?.slice(0, 16) ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Status>
      </section>

      <section class="panel" aria-labelledby="quality-h" data-testid="quality">
        <h2 id="quality-h">Recommendation quality</h2>
        <Status loaded={quality}>
          {({ run, runs }) => <TrainingQuality run={run} runs={runs} />}
        </Status>
      </section>

      <section class="panel" aria-labelledby="online-h">
        <h2 id="online-h">Recommendations in use (last 30 days)</h2>
        <Status loaded={quality}>
          {({ online }) => (online === undefined ? null : <OnlineTable online={online} />)}
        </Status>
      </section>

      <section class="panel" aria-labelledby="charter-h">
        <h2 id="charter-h">Charter in force</h2>
        {notice === undefined ? (
          <p>Loading…</p>
        ) : (
          <>
            <p>
              {notice.controller.name}, notice version{' '}
              <code data-testid="notice-version">{notice.version.slice(0, 16)}</code>
            </p>
            <table>
              <thead>
                <tr>
                  <th scope="col">Purpose</th>
                  <th scope="col">Key</th>
                  <th scope="col">Kept</th>
                  <th scope="col">GPC opts out</th>
                </tr>
              </thead>
              <tbody>
                {noticePurposes(notice).map((p) => (
                  <tr key={p.key}>
                    <td>{p.title}</td>
                    <td class="mono">{p.key}</td>
                    <td>{p.itCosts.keptFor}</td>
                    <td>{p.saleOrSharing ? 'yes' : 'no'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </section>
    </main>
  )
}
