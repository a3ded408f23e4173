/**
 * The state of the one-time code step (privacy-code.tsx): the code typed, the tries left, the problem with
 * the last code, a note about a new code, and the calls that verify, resend and (in the demo) read the inbox.
 */
import { useLayoutEffect, useRef, useState } from 'preact/hooks'
import { ApiError, type RightsRequest, api } from './api.js'

export interface PendingCode {
  request: RightsRequest
  /** Wrong codes the request still accepts (from the server). */
  attemptsLeft: number | undefined
}

export interface CodeFormProps {
  pending: PendingCode
  token: string
  onDone: (request: RightsRequest) => Promise<void>
  onDenied: (request: RightsRequest) => void
  onCancel: () => void
}

/** What the calls below change in the form. */
interface CodeCalls {
  path: string
  token: string
  setCode: (code: string) => void
  setAttemptsLeft: (n: number | undefined) => void
  setProblem: (problem: string | undefined) => void
  setNote: (note: string | undefined) => void
  focus: () => void
}

/** The request's state from the server, with the tries it still accepts (none once it is closed). */
async function refresh(calls: CodeCalls): Promise<RightsRequest | undefined> {
  try {
    const state = await api<RightsRequest & { attemptsLeft?: number }>('GET', calls.path, {
      token: calls.token,
    })
    calls.setAttemptsLeft(state.status === 'received' ? state.attemptsLeft : 0)
    return state
  } catch {
    return undefined
  }
}

async function resend(calls: CodeCalls) {
  calls.setNote(undefined)
  try {
    const answer = await api<{ attemptsLeft: number; resendsLeft: number }>(
      'POST',
      `${calls.path}/resend-code`,
      { token: calls.token },
    )
    calls.setAttemptsLeft(answer.attemptsLeft)
    calls.setProblem(undefined)
    calls.setCode('')
    calls.setNote(
      `We sent a new code; the old one no longer works. ${answer.resendsLeft} more ${answer.resendsLeft === 1 ? 'resend' : 'resends'} this hour.`,
    )
  } catch (e) {
    calls.setNote(
      e instanceof ApiError && e.status === 429
        ? 'You have asked for new codes too often. Wait an hour, or use the last code we sent.'
        : `No new code sent: ${e instanceof Error ? e.message : String(e)}`,
    )
  }
  calls.focus()
}

async function demoInbox(calls: CodeCalls, requestId: string) {
  try {
    const { code: sent } = await api<{ code: string | null }>(
      'GET',
      `/demo/inbox/${encodeURIComponent(requestId)}`,
      { token: calls.token },
    )
    calls.setCode(sent ?? '')
  } catch {
    calls.setNote('The demo inbox is only there in demo mode.')
  }
  calls.focus()
}

/**
 * Asks for the code, then hands the verified request to `onDone`. A wrong code refreshes the tries left
 * from the server; the last wrong code ends the request (denied), which `onDenied` reports.
 */
export function useCodeForm(props: CodeFormProps) {
  const { request } = props.pending
  const [code, setCode] = useState('')
  const [attemptsLeft, setAttemptsLeft] = useState(props.pending.attemptsLeft)
  const [problem, setProblem] = useState<string>()
  const [note, setNote] = useState<string>()
  const [busy, setBusy] = useState(false)
  const input = useRef<HTMLInputElement>(null)
  const path = `/v1/rights-requests/${encodeURIComponent(request.id)}`
  const focus = () => input.current?.focus()
  const calls = { path, token: props.token, setCode, setAttemptsLeft, setProblem, setNote, focus }

  // The field appears where the shopper is looking, with the cursor in it: in the same task as it appears
  // (a layout effect), never a frame later, so nothing can be typed or read before the focus is there.
  useLayoutEffect(() => {
    const field = input.current
    if (field === null) return
    field.scrollIntoView({ block: 'center' })
    field.focus({ preventScroll: true })
  }, [request.id])

  async function submit() {
    setBusy(true)
    setNote(undefined)
    try {
      const verified = await api<RightsRequest>('POST', `${path}/verify`, {
        token: props.token,
        body: { code: code.trim() },
      })
      await props.onDone(verified)
    } catch (e) {
      const state = await refresh(calls)
      if (state?.status === 'denied') {
        props.onDenied(state)
        return
      }
      setProblem(
        e instanceof ApiError && e.status === 400
          ? e.message
          : `Not confirmed: ${e instanceof Error ? e.message : String(e)}`,
      )
      focus()
    } finally {
      setBusy(false)
    }
  }

  return {
    code,
    setCode,
    attemptsLeft,
    problem,
    note,
    busy,
    input,
    submit,
    resend: () => resend(calls),
    demoInbox: () => demoInbox(calls, request.id),
  }
}
