import { z } from 'zod'

/**
 * API-key roles. `partner` is a charter vendor that lists a clean-room purpose (one key names one
 * vendor): it reaches only `/v1/cleanroom/*` and its own privacy budget, never the shop's staff routes.
 */
export const ROLES = ['storefront', 'analyst', 'privacy_officer', 'admin', 'partner'] as const
export const RoleSchema = z.enum(ROLES)
export type Role = z.infer<typeof RoleSchema>

/** Every role but `partner`: the shop's own servers and staff (`GET /v1/me`, say). */
export const STAFF_ROLES = ROLES.filter((role) => role !== 'partner')

/** Who is calling: a staff or server API key, a shopper token scoped to one subject, or nobody. */
export type Caller =
  | { kind: 'api_key'; keyId: string; role: Role; vendor?: string }
  | { kind: 'shopper'; subjectId: string }
  | { kind: 'anonymous' }

export interface ApiKeyInfo {
  id: string
  role: Role
  name: string
  /** The charter vendor a partner key acts for; null for every other role. */
  vendor: string | null
  createdAt: string
  revokedAt: string | null
}

export const ApiKeyInfoSchema = z.object({
  id: z.string(),
  role: RoleSchema,
  name: z.string(),
  vendor: z.string().nullable(),
  createdAt: z.string(),
  revokedAt: z.string().nullable(),
})
