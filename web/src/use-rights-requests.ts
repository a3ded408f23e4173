/**
 * The privacy center's rights requests (access and erasure), from the button to the answer: filing the
 * request, the one-time code step when the server asks for one, and what each outcome shows.
 */
import { useState } from 'preact/hooks'
import { ApiError, type RightsRequest, api, formatDate } from './api.js'
import type { PendingCode } from './privacy-code.js'
import { downloadExport } from './privacy-download.js'
import type { NoteAt, Say } from './privacy-note.js'
import type { ShopperSession } from './session.js'

export type RightsType = 'access' | 'erasure'

export interface RightsRequests {
  /** The request waiting for its one-time code, if any. */
  pending: PendingCode | undefined
  /** The shopper is being asked whether to erase everything. */
  confirming: boolean
  setConfirming: (yes: boolean) => void
  file: (type: RightsType) => Promise<void>
  finish: (request: RightsRequest) => Promise<void>
  denied: (request: RightsRequest) => void
  cancel: () => void
}

/** The section whose note answers a request of this type. */
const noteAt = (type: string): NoteAt => (type === 'access' ? 'holds' : 'erase')

/**
 * Access and erasure go through a rights request. A request the shopper files themself needs the one-time
 * code Candor sends them (in the demo, "Open my inbox" stands in for their e-mail); the code field opens
 * right under the button that asked for it.
 */
export function useRightsRequests(options: {
  session: ShopperSession | null | undefined
  say: Say
  /** Clears the page's note (the code form takes its place). */
  quiet: () => void
  /** Loads the shopper's data again. */
  again: () => void
  /** A completed erasure: the page forgets the shopper. */
  onErased: (request: RightsRequest) => void
}): RightsRequests {
  const { session, say, again } = options
  const [confirming, setConfirming] = useState(false)
  const [pending, setPending] = useState<PendingCode>()
  const token = session?.token

  async function file(type: RightsType) {
    setConfirming(false)
    try {
      const request = await api<RightsRequest & { attemptsLeft?: number }>(
        'POST',
        '/v1/rights-requests',
        { token, body: { type, subject: session!.ref } },
      )
      if (request.status === 'received') {
        setPending({ request, attemptsLeft: request.attemptsLeft })
        options.quiet()
      } else await finish(request)
    } catch (e) {
      say(
        noteAt(type),
        e instanceof ApiError && e.status === 404
          ? 'This server does not take rights requests yet. Write to the contact in the privacy notice.'
          : `Not sent: ${e instanceof Error ? e.message : String(e)}`,
      )
    }
  }

  async function finish(request: RightsRequest) {
    setPending(undefined)
    const at = noteAt(request.type)
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
      options.onErased(request)
      return
    } else {
      say(
        at,
        `Your ${request.type === 'access' ? 'download' : request.type} request is ${request.status}; it will be done by ${formatDate(request.dueAt)}.`,
        true,
      )
    }
    again()
  }

  function denied(request: RightsRequest) {
    setPending(undefined)
    say(
      noteAt(request.type),
      `That was the last try: your ${request.type === 'access' ? 'download' : request.type} request is closed because the code did not match. You can ask again.`,
      true,
    )
    again()
  }

  const cancel = () => setPending(undefined)
  return { pending, confirming, setConfirming, file, finish, denied, cancel }
}
