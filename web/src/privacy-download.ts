/**
 * The download of a completed access request: the server's ZIP (the whole export as JSON, plus one CSV
 * per table), saved under a name that says what it is and when it was made, never who it is about.
 */
import { ApiError } from './api.js'

/** `candor-my-data-2026-12-07.zip`: the day in UTC, like the server's own file name. */
export function exportFileName(at: Date = new Date()): string {
  return `candor-my-data-${at.toISOString().slice(0, 10)}.zip`
}

/** Fetches the export as a file and hands it to the browser's downloads; returns the file's name. */
export async function downloadExport(requestId: string, token: string): Promise<string> {
  const response = await fetch(
    `/v1/rights-requests/${encodeURIComponent(requestId)}/export?format=zip`,
    { headers: { authorization: `Bearer ${token}`, accept: 'application/zip' } },
  )
  if (!response.ok) {
    const problem = (await response.json().catch(() => ({}))) as { code?: string; detail?: string }
    throw new ApiError(
      response.status,
      problem.code ?? 'http_error',
      problem.detail ?? `HTTP ${response.status}`,
    )
  }
  const named = /filename="([^"]+)"/.exec(response.headers.get('content-disposition') ?? '')?.[1]
  const name = named ?? exportFileName()
  const url = URL.createObjectURL(await response.blob())
  const a = document.createElement('a')
  a.href = url
  a.download = name
  document.body.append(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
  return name
}
