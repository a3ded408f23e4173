/**
 * The privacy center: everything a shopper can see and change about themself, through their own shopper
 * token only. Parts of Candor that this server does not offer yet are shown as such, never as errors.
 */
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks'
import { createCandor } from '../../sdk/src/candor.js'
import {
  ApiError,
  type ConsentState,
  type Level,
  type Notice,
  type RightsRequest,
  type Settings,
  api,
  formatDate,
  loadNotice,
  noticePurposes,
} from './api.js'
import { CodeForm, type PendingCode } from './privacy-code.js'
import { downloadExport } from './privacy-download.js'
import { ErasedView } from './privacy-erased.js'
import { type ShopperSession, forgetVisitor, privacySession } from './session.js'
import './privacy.css'

const REASONS: Record<string, string> = {
  explicit_grant: 'you said yes',
  explicit_denial: 'you said no',
  jurisdiction_default: 'the default where you live',
  gpc: 'your browser’s Global Privacy Control',
  restricted: 'you asked us to restrict processing',
  no_record: 'you have not said yes',
  not_consent_based: 'needed to run the shop',
  undeclared_purpose: 'not in our charter',
}

/**
 * The place a consent answer's rules came from, in the charter's words: its name, or for `default` (no
 * place known, or one the charter does not list) that it is not known and whose rules apply instead.
 */
export function placeText(notice: Notice, code: string): string {
  const place = notice.places.find((p) => p.code === code)
  if (place === undefined) return 'not known.'
  const name =
    code === 'default' ? `not known, so the rules for “${place.title}” apply` : place.title
  return `${name}. ${place.rule}`
}

/** Where the answer to an action shows: in the section where the shopper acted, not far above it. */
type NoteAt = 'top' | 'holds' | 'level' | 'why' | 'consents' | 'requests' | 'erase' | 'notice'
interface Note {
  at: NoteAt
  text: string
  /** Move the focus to the note (when the form the shopper was in has just gone). */
  focus?: boolean
}

function StatusLine(props: { at: NoteAt; note: Note | undefined }) {
  return (
    <p role="status" class="status-line" id={`${props.at}-note`} tabIndex={-1}>
      {props.note?.at === props.at ? props.note.text : ''}
    </p>
  )
}

function Section(props: {
  id: Exclude<NoteAt, 'top'>
  title: string
  note: Note | undefined
  children: preact.ComponentChildren
}) {
  return (
    <section class="panel" aria-labelledby={`${props.id}-h`} id={props.id}>
      <h2 id={`${props.id}-h`}>{props.title}</h2>
      {props.children}
      <StatusLine at={props.id} note={props.note} />
    </section>
  )
}

export function PrivacyCenter() {
  const [session, setSession] = useState<ShopperSession | null>()
  const [notice, setNotice] = useState<Notice>()
  const [consents, setConsents] = useState<ConsentState>()
  const [settings, setSettings] = useState<Settings>()
  const [requests, setRequests] = useState<RightsRequest[]>([])
  const [message, setMessage] = useState<Note>()
  const say = (at: NoteAt, text: string, focus = false) => setMessage({ at, text, focus })
  const [reload, setReload] = useState(0)
  const [confirming, setConfirming] = useState(false)
  /** The completed erasure: from then on the page shows only that, and calls nothing. */
  const [erased, setErased] = useState<RightsRequest>()
  const [pending, setPending] = useState<PendingCode>()
  const rows = useRef<HTMLDivElement>(null)

  useEffect(() => {
    void privacySession().then((s) => setSession(s ?? null))
    void loadNotice().then(setNotice)
  }, [])

  const base = session ? `/v1/subjects/${encodeURIComponent(session.ref)}` : ''
  const token = session?.token

  useEffect(() => {
    if (!session || erased !== undefined) return
    let live = true
    const failed = (e: unknown) => {
      if (live)
        say('top', `Could not load everything: ${e instanceof Error ? e.message : String(e)}`)
    }
    api<ConsentState>('GET', `${base}/consents`, { token })
      .then((answer) => live && setConsents(answer))
      .catch(failed)
    api<Settings>('GET', `${base}/settings`, { token })
      .then((answer) => live && setSettings(answer))
      .catch(failed)
    api<{ requests: RightsRequest[] }>('GET', `${base}/rights-requests`, { token })
      .then((answer) => live && setRequests(answer.requests))
      .catch(() => live && setRequests([]))
    return () => {
      live = false
    }
  }, [session, reload, erased])

  // Why each suggestion: the same row the shop shows, with the reasons opened.
  useEffect(() => {
    if (!session || erased !== undefined || rows.current === null) return
    const candor = createCandor({ subject: session.ref, token: session.token })
    const host = rows.current
    let live = true
    candor
      .recommendations({ placement: 'home', limit: 4 })
      .then((answer) => {
        if (!live) return
        candor.renderRow(host, answer, {
          heading: 'What we would suggest now, and why',
          onStopPersonalizing: () => setReload((v) => v + 1),
        })
        host.querySelectorAll('details').forEach((d) => (d.open = true))
      })
      .catch(() => {
        if (!live) return
        host.textContent =
          'Suggestions are not available on this server yet, so there is nothing to explain.'
      })
    return () => {
      live = false
      candor.destroy()
    }
  }, [session, reload, settings?.effectiveLevel, erased])

  // After a code step closes, the answer takes the focus where the form was (not the top of the page).
  useLayoutEffect(() => {
    if (message?.focus === true) document.getElementById(`${message.at}-note`)?.focus()
  }, [message])

  if (erased !== undefined && notice !== undefined) {
    return <ErasedView request={erased} controller={notice.controller.name} />
  }
  if (session === undefined || notice === undefined) return <main class="page">Loading…</main>
  if (session === null) {
    return (
      <main class="page">
        <h1>Your privacy center</h1>
        <p>
          Open this page from the shop: it needs to know who you are. The shop links here with a
          short-lived key.
        </p>
      </main>
    )
  }

  const purposes = noticePurposes(notice)
  const titleOf = (key: string) => purposes.find((p) => p.key === key)?.title ?? key

  async function setPurpose(purpose: string, yes: boolean) {
    try {
      await api('PUT', `${base}/consents/${encodeURIComponent(purpose)}`, {
        token,
        body: {
          decision: yes ? 'granted' : 'denied',
          method: 'privacy_center',
          noticeVersion: notice!.version,
        },
      })
      say('consents', `Saved: ${titleOf(purpose)} is now ${yes ? 'on' : 'off'}.`)
    } catch (e) {
      say('consents', `Not saved: ${e instanceof Error ? e.message : String(e)}`)
    }
    setReload((v) => v + 1)
  }

  async function setLevel(level: Level) {
    let answer: Settings
    try {
      answer = await api<Settings>('PUT', `${base}/settings`, { token, body: { level } })
    } catch (e) {
      say('level', `Not saved: ${e instanceof Error ? e.message : String(e)}`)
      return
    }
    setSettings(answer)
    say(
      'level',
      answer.effectiveLevel === level
        ? `Your personalization level is now “${level}”.`
        : `You chose “${level}”, but “${answer.effectiveLevel}” applies until you allow ${answer.prompt?.title ?? 'the purpose it needs'}.`,
    )
  }

  /**
   * Access and erasure go through a rights request. A request the shopper files themself needs the one-time
   * code Candor sends them (in the demo, "Open my inbox" stands in for their e-mail); the code field opens
   * right under the button that asked for it.
   */
  async function file(type: 'access' | 'erasure') {
    setConfirming(false)
    try {
      const request = await api<RightsRequest & { attemptsLeft?: number }>(
        'POST',
        '/v1/rights-requests',
        { token, body: { type, subject: session!.ref } },
      )
      if (request.status === 'received') {
        setPending({ request, attemptsLeft: request.attemptsLeft })
        setMessage(undefined)
      } else await finish(request)
    } catch (e) {
      say(
        type === 'access' ? 'holds' : 'erase',
        e instanceof ApiError && e.status === 404
          ? 'This server does not take rights requests yet. Write to the contact in the privacy notice.'
          : `Not sent: ${e instanceof Error ? e.message : String(e)}`,
      )
    }
  }

  async function finish(request: RightsRequest) {
    setPending(undefined)
    const at = request.type === 'access' ? 'holds' : 'erase'
    if (request.type === 'access' && request.status === 'completed') {
      try {
        const name = await downloadExport(request.id, token!)
        say(
          at,
          `Your data is downloaded as ${name}: everything as one JSON file, and a spreadsheet (CSV) per list.`,
          true,
        )
      } catch (e) {
        say(at, `Not downloaded: ${e instanceof Error ? e.message : String(e)}`, true)
      }
    } else if (request.type === 'erasure' && request.status === 'completed') {
      // The subject is gone, and so is what this browser knew of them: no call uses the old token again.
      forgetVisitor()
      setErased(request)
      setSession(null)
      setConsents(undefined)
      setSettings(undefined)
      setRequests([])
      setMessage(undefined)
      return
    } else {
      say(
        at,
        `Your ${request.type === 'access' ? 'download' : request.type} request is ${request.status}; it will be done by ${formatDate(request.dueAt)}.`,
        true,
      )
    }
    setReload((v) => v + 1)
  }

  function denied(request: RightsRequest) {
    setPending(undefined)
    say(
      request.type === 'access' ? 'holds' : 'erase',
      `That was the last try: your ${request.type === 'access' ? 'download' : request.type} request is closed because the code did not match. You can ask again.`,
      true,
    )
    setReload((v) => v + 1)
  }

  const codeForm = (type: 'access' | 'erasure') =>
    pending?.request.type === type ? (
      <CodeForm
        key={pending.request.id}
        pending={pending}
        token={token!}
        onDone={finish}
        onDenied={denied}
        onCancel={() => setPending(undefined)}
      />
    ) : null

  const levelText = (level: Level) => notice.levels.find((l) => l.level === level)

  return (
    <main class="page privacy">
      <p class="crumbs">
        <a href="/">Back to the shop</a>
      </p>
      <h1>Your privacy center</h1>
      <p>
        Signed in as <strong>{session.name}</strong>. This page shows what Candor holds about you
        for {notice.controller.name}, and lets you change it.
      </p>
      <StatusLine at="top" note={message} />
      <Section id="holds" note={message} title="What we hold about you">
        {consents === undefined ? (
          <p>Loading…</p>
        ) : (
          <ul>
            <li>
              {consents.history.length} privacy{' '}
              {consents.history.length === 1 ? 'choice' : 'choices'} on record (listed below).
            </li>
            <li>Personalization level: {settings?.level ?? 'not set'}.</li>
            <li>
              Where you are, for the rules that apply: {placeText(notice, consents.jurisdiction)}
            </li>
            <li>
              Your browsing and purchase history, used only for the purposes you allow (in the
              download).
            </li>
          </ul>
        )}
        <button
          type="button"
          class="primary"
          disabled={pending !== undefined}
          onClick={() => void file('access')}
        >
          Download my data (.zip)
        </button>
        {codeForm('access')}
      </Section>

      <Section id="level" note={message} title="How personal your suggestions are">
        <fieldset class="levels">
          <legend>Personalization level</legend>
          {(['off', 'session', 'personal'] as const).map((level) => (
            <div class="level" key={level}>
              <input
                type="radio"
                name="level"
                id={`level-${level}`}
                value={level}
                checked={settings?.level === level}
                onChange={() => void setLevel(level)}
              />
              <label for={`level-${level}`}>
                <strong>{levelText(level)?.title ?? level}</strong>: {levelText(level)?.text}
              </label>
            </div>
          ))}
        </fieldset>
        {settings === undefined ? null : (
          <p>
            In effect now: <strong data-testid="effective-level">{settings.effectiveLevel}</strong>
            {settings.effectiveLevel !== settings.level
              ? ` (${settings.prompt?.title ?? settings.reason} is not allowed)`
              : ''}
            .
          </p>
        )}
      </Section>

      <Section id="why" note={message} title="Why you see each suggestion">
        <div ref={rows} />
      </Section>

      <Section id="consents" note={message} title="Your choices">
        {consents === undefined ? null : (
          <>
            <ul class="decisions">
              {consents.decisions.map((d) => {
                const purpose = purposes.find((p) => p.key === d.purpose)
                const fixed = purpose?.group === 'needed'
                return (
                  <li key={d.purpose} data-purpose={d.purpose}>
                    <input
                      type="checkbox"
                      id={`c-${d.purpose}`}
                      checked={d.allowed}
                      disabled={fixed}
                      onChange={(e) =>
                        void setPurpose(d.purpose, (e.target as HTMLInputElement).checked)
                      }
                    />
                    <label for={`c-${d.purpose}`}>
                      <strong>{titleOf(d.purpose)}</strong>: {d.allowed ? 'on' : 'off'} (
                      {REASONS[d.reason] ?? d.reason})
                      {purpose?.specialCategory === undefined
                        ? null
                        : `. It uses ${purpose.specialCategory}: only you can turn it on, and only here.`}
                    </label>
                  </li>
                )
              })}
            </ul>
            <h3>History</h3>
            {consents.history.length === 0 ? (
              <p>No choices on record.</p>
            ) : (
              <table>
                <thead>
                  <tr>
                    <th scope="col">When</th>
                    <th scope="col">What</th>
                    <th scope="col">Choice</th>
                    <th scope="col">How</th>
                  </tr>
                </thead>
                <tbody>
                  {[...consents.history].reverse().map((r) => (
                    <tr key={r.id}>
                      <td>{formatDate(r.recordedAt)}</td>
                      <td>{titleOf(r.purpose)}</td>
                      <td>{r.decision === 'granted' ? 'yes' : 'no'}</td>
                      <td>{r.method.replace('_', ' ')}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </>
        )}
      </Section>

      <Section id="requests" note={message} title="Your requests">
        {requests.length === 0 ? (
          <p>You have no open requests.</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th scope="col">Request</th>
                <th scope="col">Status</th>
                <th scope="col">Due by</th>
              </tr>
            </thead>
            <tbody>
              {requests.map((r) => (
                <tr key={r.id}>
                  <td>
                    {r.type} <span class="muted small">{r.id}</span>
                  </td>
                  <td>{r.status}</td>
                  <td>{formatDate(r.dueAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Section>

      <Section id="erase" note={message} title="Erase my data">
        <p>
          This deletes your history, your choices and what our suggestion system learned from you.
          It cannot be undone. We keep only a note that an erasure happened, with nothing about you
          in it.
        </p>
        {pending?.request.type === 'erasure' ? (
          codeForm('erasure')
        ) : confirming ? (
          <div class="confirm" role="group" aria-labelledby="confirm-q">
            <p id="confirm-q">
              <strong>Erase everything we hold about you?</strong>
            </p>
            <button type="button" class="danger" onClick={() => void file('erasure')}>
              Yes, erase my data
            </button>
            <button type="button" class="choice small-choice" onClick={() => setConfirming(false)}>
              Keep my data
            </button>
          </div>
        ) : (
          <button
            type="button"
            class="danger"
            disabled={pending !== undefined}
            onClick={() => setConfirming(true)}
          >
            Erase my data…
          </button>
        )}
      </Section>

      <Section id="notice" note={message} title="The privacy notice">
        {notice.summary.map((line) => (
          <p key={line}>{line}</p>
        ))}
        <p>
          <a href="/v1/notice?format=html">Read the full notice</a> (version{' '}
          {notice.version.slice(0, 12)}).
        </p>
      </Section>
    </main>
  )
}
