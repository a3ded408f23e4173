/**
 * The staff console: log in with an API key; the header shows the key's role, and only the panels that
 * role may use are shown. What a role may call comes from the server (`GET /v1/me`, read from the route
 * table), so the console never keeps a second copy of the access rules.
 */
import { useEffect, useState } from 'preact/hooks'
import { ApiError, type Notice, loadNotice, noticePurposes } from './api.js'
import { type AnswerOf, bearer, client, ok } from './client.js'
import { AuditPanel } from './console/audit.js'
import { ConsentRatesPanel } from './console/consent-rates.js'
import { ExperimentsPanel } from './console/experiments.js'
import { InsightsPanel } from './console/insights.js'
import { OffersPanel } from './console/offers.js'
import { Status, useLoad } from './console/load.js'
import { OnlineTable } from './console/online.js'
import { PricingPanel } from './console/pricing.js'
import { ReportsPanel } from './console/reports.js'
import { RightsPanel } from './console/rights.js'
import { VendorsPanel } from './console/vendors.js'
import { VoicePanel } from './console/voice.js'
import './console/console.css'
import { TrainingQuality, loadTrainingQuality } from './training-quality.js'

const KEY_STORE = 'candor-console.key'

/** The key's id, its role and every route ("GET /v1/audit") that role may call. */
type Me = AnswerOf<'/v1/me', 'get'>
const loadMe = (key: string) => ok(client.GET('/v1/me', { headers: bearer(key) }))

const ROLE_NAMES: Record<string, string> = {
  storefront: 'Storefront',
  analyst: 'Analyst',
  privacy_officer: 'Privacy officer',
  admin: 'Admin',
  partner: 'Partner',
}
const roleName = (role: string) => ROLE_NAMES[role] ?? role

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
          loadMe(key)
            .then(() => onKey(key))
            .catch((err: unknown) =>
              setError(
                err instanceof ApiError && err.status === 401
                  ? 'That key is not valid.'
                  : err instanceof ApiError && err.status === 403
                    ? 'That key is not a staff key: a partner key works only with the clean-room API.'
                    : String(err),
              ),
            )
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

function CharterPanel({ notice }: { notice: Notice | undefined }) {
  if (notice === undefined) return <p>Loading…</p>
  return (
    <>
      <p>
        {notice.controller.name}, notice version{' '}
        <code data-testid="notice-version">{notice.version.slice(0, 16)}</code>
      </p>
      <table class="stack">
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
              <td data-label="Purpose">{p.title}</td>
              <td data-label="Key" class="mono">
                {p.key}
              </td>
              <td data-label="Kept">{p.itCosts.keptFor}</td>
              <td data-label="GPC opts out">{p.saleOrSharing ? 'yes' : 'no'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  )
}

function QualityPanels({ token }: { token: string }) {
  const [quality] = useLoad(`${token} quality`, () => loadTrainingQuality(token))
  return (
    <>
      <section class="panel" aria-labelledby="quality-h" data-testid="quality">
        <h2 id="quality-h">Recommendation quality</h2>
        <Status loaded={quality}>
          {({ run, runs }) => <TrainingQuality run={run} runs={runs} />}
        </Status>
      </section>
      <section class="panel" aria-labelledby="online-h">
        <h2 id="online-h">Recommendations in use (last 30 days)</h2>
        <Status loaded={quality}>{({ online }) => <OnlineTable online={online} />}</Status>
      </section>
    </>
  )
}

function Panels({ token, me, notice }: { token: string; me: Me; notice: Notice | undefined }) {
  const may = (route: string) => me.may.includes(route)
  const rights = may('GET /v1/rights-requests')
  const rates = may('GET /v1/consent-rates')
  const audit = may('GET /v1/audit')
  const quality = may('GET /v1/recommendations/quality')
  const reports = may('GET /v1/audits/reports/latest')
  const insights = {
    query: may('POST /v1/insights/queries'),
    ownBudget: may('GET /v1/insights/budget'),
    allBudgets: may('GET /v1/insights/budgets'),
    keyNames: may('GET /v1/admin/keys'),
  }
  const showInsights = insights.query || insights.ownBudget || insights.allBudgets
  return (
    <>
      {rights || rates || audit || quality || showInsights || reports ? null : (
        <p data-testid="no-panels" class="panel-note">
          The {roleName(me.role).toLowerCase()} role is for the shop's own server (events,
          recommendations, shopper tokens): the console has nothing more to show it than the charter
          in force below.
        </p>
      )}
      {rights ? (
        <section class="panel" aria-labelledby="queue-h" data-testid="rights-panel">
          <h2 id="queue-h">Rights requests</h2>
          <RightsPanel
            token={token}
            may={{
              extend: may('POST /v1/rights-requests/:id/extend'),
              deny: may('POST /v1/rights-requests/:id/deny'),
            }}
          />
        </section>
      ) : null}
      {rates ? (
        <section class="panel" aria-labelledby="rates-h" data-testid="rates-panel">
          <h2 id="rates-h">Consent rates per purpose and day</h2>
          <ConsentRatesPanel token={token} notice={notice} />
        </section>
      ) : null}
      {audit ? (
        <section class="panel" aria-labelledby="audit-h" data-testid="audit-panel">
          <h2 id="audit-h">Audit log</h2>
          <AuditPanel token={token} verifies={may('GET /v1/audit/verify')} />
        </section>
      ) : null}
      {reports ? (
        <section class="panel" aria-labelledby="reports-h" data-testid="reports-panel">
          <h2 id="reports-h">Audit reports</h2>
          <ReportsPanel token={token} may={{ signOff: may('POST /v1/audits/dpia/sign-off') }} />
        </section>
      ) : null}
      {quality ? <QualityPanels token={token} /> : null}
      {showInsights ? (
        <section class="panel" aria-labelledby="insights-h" data-testid="insights-panel">
          <h2 id="insights-h">Insights</h2>
          <InsightsPanel token={token} keyId={me.keyId} may={insights} />
        </section>
      ) : null}
      {may('PUT /v1/offers') ? <OffersPanel token={token} notice={notice} /> : null}
      {may('GET /v1/experiments') ? (
        <ExperimentsPanel
          token={token}
          notice={notice}
          may={{ create: may('POST /v1/experiments'), stop: may('POST /v1/experiments/:id/stop') }}
        />
      ) : null}
      {may('POST /v1/pricing/runs') ? <PricingPanel token={token} /> : null}
      {may('GET /v1/vendors') ? <VendorsPanel token={token} may={may} /> : null}
      {may('GET /v1/voice/trends') ? <VoicePanel token={token} /> : null}
      <section class="panel" aria-labelledby="charter-h">
        <h2 id="charter-h">Charter in force</h2>
        <CharterPanel notice={notice} />
      </section>
    </>
  )
}

export function Console() {
  const [key, setKey] = useState<string | undefined>(
    () => sessionStorage.getItem(KEY_STORE) ?? undefined,
  )
  const [notice, setNotice] = useState<Notice>()
  useEffect(() => void loadNotice().then(setNotice), [])
  const [me] = useLoad(key, () => loadMe(key ?? ''))
  const logOut = () => {
    sessionStorage.removeItem(KEY_STORE)
    setKey(undefined)
  }

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
  return (
    <main class="page console">
      <div class="console-head">
        <h1>Staff console</h1>
        <div class="who">
          {me.state === 'ok' ? (
            <span class="role-badge" data-testid="role" data-role={me.value.role}>
              <span class="visually-hidden">Signed in as </span>
              {roleName(me.value.role)}
            </span>
          ) : null}
          <button type="button" class="link-button" onClick={logOut}>
            Log out
          </button>
        </div>
      </div>
      <Status loaded={me}>{(value) => <Panels token={key} me={value} notice={notice} />}</Status>
    </main>
  )
}
