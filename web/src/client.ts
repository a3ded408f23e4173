/**
 * The pages' typed client: openapi-fetch over the types generated from Candor's OpenAPI document
 * (`sdk/src/api-types.ts`, written by `npm run api:types`). Paths, parameters, bodies and answers are
 * checked against the routes when the pages compile, so a page cannot ask for a route or read a field
 * that the server does not have.
 *
 * @example
 * const quality = await ok(
 *   client.GET('/v1/recommendations/quality', { headers: bearer(key), params: { query: { days: 30 } } }),
 * )
 * quality.run?.quality.tuned // typed from the route's response schema
 */
import createClient from 'openapi-fetch'
import type { paths } from '../../sdk/src/api-types.js'
import { ApiError } from './api.js'

export type { components, paths } from '../../sdk/src/api-types.js'
/** The JSON body of an operation's 200 (or 201) answer, by path and method. */
export type { AnswerOf } from '../../sdk/src/types.js'

/** The same-origin client every page shares; give a credential per call with `bearer`. */
export const client = createClient<paths>({ baseUrl: '', headers: { accept: 'application/json' } })

/** A client that sends `token` on every call (an API key or a shopper token). */
export function clientFor(token: string) {
  return createClient<paths>({
    baseUrl: '',
    headers: { accept: 'application/json', authorization: `Bearer ${token}` },
  })
}

/** The `Authorization` header for one call (none without a token). */
export function bearer(token: string | undefined): Record<string, string> {
  return token === undefined ? {} : { authorization: `Bearer ${token}` }
}

/**
 * The answer's data, or an `ApiError` carrying the problem's `code`, as `api()` throws it: pages handle
 * errors from both the same way.
 */
export async function ok<T>(
  pending: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  const { data, error, response } = await pending
  if (!response.ok) {
    const problem = (error ?? {}) as { code?: string; detail?: string; title?: string }
    throw new ApiError(
      response.status,
      problem.code ?? 'http_error',
      problem.detail ?? problem.title ?? `HTTP ${response.status}`,
      problem,
    )
  }
  return data as T
}
