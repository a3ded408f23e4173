import { z } from 'zod'

/**
 * Directly identifying data, kept only in the vault (encrypted with the subject's own data key).
 * Everything else in Candor knows the subject by its pseudonym alone.
 */
export const VaultDataSchema = z
  .object({
    email: z.email().max(320).optional(),
    name: z.string().trim().min(1).max(200).optional(),
    postalAddress: z.string().trim().min(1).max(1000).optional(),
    phone: z
      .string()
      .trim()
      .regex(/^\+?[0-9 ()./-]{5,30}$/, 'must be a phone number')
      .optional(),
  })
  .strict()
export type VaultData = z.infer<typeof VaultDataSchema>
