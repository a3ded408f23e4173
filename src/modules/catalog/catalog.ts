/**
 * The item catalog: what the shop sells, as the recommender needs it. Items are not personal data; a
 * special-category tag (from the charter's `specialCategories`) marks items that must never feed
 * personal recommendations or segments (a pregnancy test, a religious book).
 */
import { z } from 'zod'

export const ItemIdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9 ._:/#+-]*$/, 'must be letters, digits and . _ : / # + - (no @)')

export const ItemInputSchema = z.strictObject({
  id: ItemIdSchema,
  title: z.string().trim().min(1).max(300),
  /** From the broadest category to the narrowest, e.g. ["Home", "Candles"]. */
  category: z.array(z.string().trim().min(1).max(100)).max(10).default([]),
  price: z.number().min(0).max(1e9).optional(),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as GBP')
    .optional(),
  available: z.boolean().default(true),
  /** Units in stock, if the shop reports them (pricing reads it; 0 with `available` true is allowed). */
  stock: z.number().int().min(0).max(1e9).optional(),
  /** A special category the charter lists (health, pregnancy, religion ...), if the item reveals one. */
  specialCategory: z.string().min(1).max(32).optional(),
})
export type ItemInput = z.input<typeof ItemInputSchema>

export const MAX_ITEMS_BATCH = 1000

export const ItemBatchSchema = z.strictObject({
  items: z.array(ItemInputSchema).min(1).max(MAX_ITEMS_BATCH),
})

export interface Item {
  id: string
  title: string
  category: string[]
  price?: number
  currency?: string
  available: boolean
  stock?: number
  specialCategory?: string
  updatedAt: string
}

export const ItemSchema = z.object({
  id: z.string(),
  title: z.string(),
  category: z.array(z.string()),
  price: z.number().optional(),
  currency: z.string().optional(),
  available: z.boolean(),
  stock: z.number().int().optional(),
  specialCategory: z.string().optional(),
  updatedAt: z.string(),
})
