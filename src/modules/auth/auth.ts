import { z } from 'zod'

export const ROLES = ['storefront', 'analyst', 'privacy_officer', 'admin'] as const
export const RoleSchema = z.enum(ROLES)
export type Role = z.infer<typeof RoleSchema>

/** Who is calling: a staff or server API key, a shopper token scoped to one subject, or nobody. */
export type Caller =
  | { kind: 'api_key'; keyId: string; role: Role }
  | { kind: 'shopper'; subjectId: string }
  | { kind: 'anonymous' }

export interface ApiKeyInfo {
  id: string
  role: Role
  name: string
  createdAt: string
  revokedAt: string | null
}

export const ApiKeyInfoSchema = z.object({
  id: z.string(),
  role: RoleSchema,
  name: z.string(),
  createdAt: z.string(),
  revokedAt: z.string().nullable(),
})
