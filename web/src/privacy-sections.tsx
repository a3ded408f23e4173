/**
 * The privacy center's sections about what Candor holds and what the shopper chose: what is held, the
 * personalization level, why each suggestion, the consent choices with their history, and the notice.
 * Each section saves its own changes and answers in its own note.
 */
import type { RefObject } from 'preact'
import {
  type ConsentState,
  type Level,
  type Notice,
  type Settings,
  api,
  formatDate,
  noticePurposes,
} from './api.js'
import { type Note, type Say, Section } from './privacy-note.js'
import { PendingCodeForm } from './privacy-rights.js'
import type { ShopperSession } from './session.js'
import { createOnDeviceStore } from '../../sdk/src/on-device-store.js'
import { subjectBase } from './use-privacy-center.js'
import type { RightsRequests } from './use-rights-requests.js'

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

/** What the shopper is acting as, and where the section answers. */
interface Acting {
  session: ShopperSession
  note: Note | undefined
  say: Say
}

/** A purpose's title in the notice's words (its key when the notice does not list it). */
const titleIn = (notice: Notice) => (key: string) =>
  noticePurposes(notice).find((p) => p.key === key)?.title ?? key

export function HoldsSection(
  props: Acting & {
    notice: Notice
    consents: ConsentState | undefined
    settings: Settings | undefined
    rights: RightsRequests
  },
) {
  const { consents, rights } = props
  return (
    <Section id="holds" note={props.note} title="What we hold about you">
      {consents === undefined ? (
        <p>Loading…</p>
      ) : (
        <ul>
          <li>
            {consents.history.length} privacy {consents.history.length === 1 ? 'choice' : 'choices'}{' '}
            on record (listed below).
          </li>
          <li>Personalization level: {props.settings?.level ?? 'not set'}.</li>
          <li>
            Where you are, for the rules that apply:{' '}
            {placeText(props.notice, consents.jurisdiction)}
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
        disabled={rights.pending !== undefined}
        onClick={() => void rights.file('access')}
      >
        Download my data (.zip)
      </button>
      <PendingCodeForm type="access" rights={rights} token={props.session.token} />
    </Section>
  )
}

export function LevelSection(
  props: Acting & {
    notice: Notice
    settings: Settings | undefined
    onSaved: (settings: Settings) => void
  },
) {
  const { settings, say } = props
  const levelText = (level: Level) => props.notice.levels.find((l) => l.level === level)

  async function setLevel(level: Level) {
    let answer: Settings
    try {
      answer = await api<Settings>('PUT', `${subjectBase(props.session)}/settings`, {
        token: props.session.token,
        body: { level },
      })
    } catch (e) {
      say('level', `Not saved: ${e instanceof Error ? e.message : String(e)}`)
      return
    }
    props.onSaved(answer)
    // Leaving `on_device` deletes what this browser kept for it.
    if (answer.effectiveLevel !== 'on_device')
      await createOnDeviceStore()
        .clear()
        .catch(() => undefined)
    say(
      'level',
      answer.effectiveLevel === level
        ? `Your personalization level is now “${level}”.`
        : `You chose “${level}”, but “${answer.effectiveLevel}” applies until you allow ${answer.prompt?.title ?? 'the purpose it needs'}.`,
    )
  }

  return (
    <Section id="level" note={props.note} title="How personal your suggestions are">
      <fieldset class="levels">
        <legend>Personalization level</legend>
        {(['off', 'session', 'personal', 'on_device'] as const).map((level) => (
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
  )
}

export function WhySection(props: {
  rows: RefObject<HTMLDivElement | null>
  note: Note | undefined
}) {
  return (
    <Section id="why" note={props.note} title="Why you see each suggestion">
      <div ref={props.rows} />
    </Section>
  )
}

export function ConsentsSection(
  props: Acting & { notice: Notice; consents: ConsentState | undefined; again: () => void },
) {
  const { consents, notice, say } = props
  const purposes = noticePurposes(notice)
  const titleOf = titleIn(notice)

  async function setPurpose(purpose: string, yes: boolean) {
    try {
      await api('PUT', `${subjectBase(props.session)}/consents/${encodeURIComponent(purpose)}`, {
        token: props.session.token,
        body: {
          decision: yes ? 'granted' : 'denied',
          method: 'privacy_center',
          noticeVersion: notice.version,
        },
      })
      say('consents', `Saved: ${titleOf(purpose)} is now ${yes ? 'on' : 'off'}.`)
    } catch (e) {
      say('consents', `Not saved: ${e instanceof Error ? e.message : String(e)}`)
    }
    props.again()
  }

  return (
    <Section id="consents" note={props.note} title="Your choices">
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
                  {purpose?.federated === undefined ? null : (
                    <p class="purpose-note" data-testid="federated-note">
                      {purpose.federated}
                    </p>
                  )}
                </li>
              )
            })}
          </ul>
          <ConsentHistory history={consents.history} titleOf={titleOf} />
        </>
      )}
    </Section>
  )
}

function ConsentHistory(props: {
  history: ConsentState['history']
  titleOf: (key: string) => string
}) {
  return (
    <>
      <h3>History</h3>
      {props.history.length === 0 ? (
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
            {[...props.history].reverse().map((r) => (
              <tr key={r.id}>
                <td>{formatDate(r.recordedAt)}</td>
                <td>{props.titleOf(r.purpose)}</td>
                <td>{r.decision === 'granted' ? 'yes' : 'no'}</td>
                <td>{r.method.replace('_', ' ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  )
}

export function NoticeSection(props: { notice: Notice; note: Note | undefined }) {
  return (
    <Section id="notice" note={props.note} title="The privacy notice">
      {props.notice.summary.map((line) => (
        <p key={line}>{line}</p>
      ))}
      <p>
        <a href="/v1/notice?format=html">Read the full notice</a> (version{' '}
        {props.notice.version.slice(0, 12)}).
      </p>
    </Section>
  )
}
