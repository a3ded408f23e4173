/**
 * The privacy center's state: who the shopper is, the notice, what Candor holds about them (loaded again
 * after each change), the suggestions row with its reasons, and the note that answers the last action.
 * After a completed erasure it holds only that, and calls nothing.
 */
import { anchorRow } from './privacy-anchor.js'
import type { RefObject } from 'preact'
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks'
import { createCandor } from '../../sdk/src/candor.js'
import { createOnDeviceStore } from '../../sdk/src/on-device-store.js'
import {
  type ConsentState,
  type Notice,
  type RightsRequest,
  type Settings,
  api,
  loadNotice,
} from './api.js'
import type { Note, Say } from './privacy-note.js'
import { type ShopperSession, forgetVisitor, privacySession } from './session.js'
import { useRightsRequests } from './use-rights-requests.js'

/** The subject's API base: `/v1/subjects/{ref}`. */
export const subjectBase = (session: ShopperSession) =>
  `/v1/subjects/${encodeURIComponent(session.ref)}`

/** The subject's consents, settings and requests, loaded again whenever `reload` changes. */
function useSubjectData(
  session: ShopperSession | null | undefined,
  reload: number,
  erased: RightsRequest | undefined,
  say: Say,
) {
  const [consents, setConsents] = useState<ConsentState>()
  const [settings, setSettings] = useState<Settings>()
  const [requests, setRequests] = useState<RightsRequest[]>([])
  useEffect(() => {
    if (!session || erased !== undefined) return
    const base = subjectBase(session)
    const token = session.token
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
  const forget = () => {
    setConsents(undefined)
    setSettings(undefined)
    setRequests([])
  }
  return { consents, settings, setSettings, requests, forget }
}

/**
 * Why each suggestion: the same row the shop shows, with the reasons opened; drawn again when the data is
 * loaded again or the level in effect changes.
 */
function useSuggestionRow(
  session: ShopperSession | null | undefined,
  erased: RightsRequest | undefined,
  redraw: { reload: number; level: string | undefined },
  onStopPersonalizing: () => void,
): RefObject<HTMLDivElement | null> {
  const rows = useRef<HTMLDivElement>(null)
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
          onStopPersonalizing,
          // This page is where "Why?" links lead.
          whyLink: false,
        })
        host.querySelectorAll('details').forEach((d) => (d.open = true))
        anchorRow(host)
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
  }, [session, redraw.reload, redraw.level, erased])
  return rows
}

export function usePrivacyCenter() {
  const [session, setSession] = useState<ShopperSession | null>()
  const [notice, setNotice] = useState<Notice>()
  const [message, setMessage] = useState<Note>()
  const say: Say = (at, text, focus = false) => setMessage({ at, text, focus })
  const [reload, setReload] = useState(0)
  const again = () => setReload((v) => v + 1)
  /** The completed erasure: from then on the page shows only that, and calls nothing. */
  const [erased, setErased] = useState<RightsRequest>()

  useEffect(() => {
    void privacySession().then((s) => setSession(s ?? null))
    void loadNotice().then(setNotice)
  }, [])
  const data = useSubjectData(session, reload, erased, say)
  const level = data.settings?.effectiveLevel
  const rows = useSuggestionRow(session, erased, { reload, level }, again)
  // After a code step closes, the answer takes the focus where the form was (not the top of the page).
  useLayoutEffect(() => {
    if (message?.focus === true) document.getElementById(`${message.at}-note`)?.focus()
  }, [message])

  const rights = useRightsRequests({
    session,
    say,
    quiet: () => setMessage(undefined),
    again,
    onErased: (request) => {
      // The subject is gone, and so is what this browser knew of them: no call uses the old token again.
      forgetVisitor()
      // The history an `on_device` shopper kept in this browser goes too.
      void createOnDeviceStore()
        .clear()
        .catch(() => undefined)
      setErased(request)
      setSession(null)
      data.forget()
      setMessage(undefined)
    },
  })
  return { session, notice, message, say, again, erased, rows, ...data, rights }
}
