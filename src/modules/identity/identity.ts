import { z } from 'zod'

/**
 * The shop's own customer reference, wherever Candor takes one (events, consent, rights, tokens,
 * recommendations, audit search). It must be well-formed Unicode: a lone surrogate cannot be encoded
 * as UTF-8, so it would become U+FFFD before hashing and different references would share one subject.
 */
export const CustomerRefSchema = z
  .string()
  .min(1)
  .max(200)
  .refine((ref) => !/\p{Cs}/u.test(ref), 'must be well-formed Unicode (no lone surrogate)')
  .meta({ description: "The shop's own customer reference", examples: ['cust-1042'] })

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
