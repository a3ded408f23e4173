/** Loading what a panel shows: one GET with the console's key, and its state in words. */
import type { ComponentChildren } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import { ApiError, api } from '../api.js'

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
 * GETs `path` with the key whenever the key, the path or `version` changes; `pick` shapes the answer.
 * Returns the state and a function that loads it again.
 */
export function useLoad<T>(
  key: string,
  path: string | undefined,
  pick: (raw: unknown) => T,
): [Loaded<T>, () => void] {
  const [result, setResult] = useState<Loaded<T>>({ state: 'loading' })
  const [version, setVersion] = useState(0)
  useEffect(() => {
    if (path === undefined) return
    let live = true
    setResult({ state: 'loading' })
    api<unknown>('GET', path, { token: key })
      .then((raw) => live && setResult({ state: 'ok', value: pick(raw) }))
      .catch((e: unknown) => live && setResult(failure(e)))
    return () => {
      live = false
    }
  }, [key, path, version])
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
