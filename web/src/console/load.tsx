/** Loading what a panel shows (through the typed client, `../client.ts`), and its state in words. */
import type { ComponentChildren } from 'preact'
import { useEffect, useRef, useState } from 'preact/hooks'
import { ApiError } from '../api.js'

export type Loaded<T> =
  | { state: 'loading' }
  | { state: 'ok'; value: T }
  | { state: 'absent' | 'forbidden' | 'error'; text: string }

/** Why a call failed, in the words a panel shows. */
export function failure(e: unknown): Exclude<Loaded<never>, { state: 'loading' | 'ok' }> {
  if (e instanceof ApiError && (e.status === 404 || e.status === 405))
    return { state: 'absent', text: 'This server does not offer this yet.' }
  if (e instanceof ApiError && e.status === 403)
    return { state: 'forbidden', text: 'Your role may not see this.' }
  return { state: 'error', text: e instanceof Error ? e.message : String(e) }
}

/**
 * Runs `load` (a call through the typed client) whenever `key` changes, a string naming what it loads
 * (the credential and the query: the same key, the same answer); `undefined` loads nothing. Returns the
 * state and a function that loads it again (showing the last answer meanwhile).
 *
 * @example const [page, reload] = useLoad(`${token} ${query}`, () => ok(client.GET('/v1/audit', ...)))
 */
export function useLoad<T>(
  key: string | undefined,
  load: () => Promise<T>,
): [Loaded<T>, () => void] {
  const [result, setResult] = useState<Loaded<T>>({ state: 'loading' })
  const [version, setVersion] = useState(0)
  const shown = useRef<string | undefined>(undefined)
  useEffect(() => {
    if (key === undefined) return
    let live = true
    // Loading again what is shown keeps it on screen (and what sits below it) until the answer comes.
    if (shown.current !== key) setResult({ state: 'loading' })
    shown.current = key
    load()
      .then((value) => live && setResult({ state: 'ok', value }))
      .catch((e: unknown) => live && setResult(failure(e)))
    return () => {
      live = false
    }
  }, [key, version])
  return [result, () => setVersion((v) => v + 1)]
}

export function Status<T>({
  loaded,
  children,
}: {
  loaded: Loaded<T>
  children: (value: T) => ComponentChildren
}) {
  if (loaded.state === 'loading') return <p aria-busy="true">Loading…</p>
  if (loaded.state === 'ok') return <>{children(loaded.value)}</>
  return <p class={loaded.state === 'error' ? 'error' : 'muted'}>{loaded.text}</p>
}
