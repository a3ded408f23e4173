import { z } from 'zod'

/** One charter vendor and how sharing with it stands (`GET /v1/vendors`): counts, no shopper. */
export const VendorStatusSchema = z.object({
  vendor: z.string().describe('The charter key of the vendor'),
  name: z.string(),
  country: z.string().describe('Where it processes the data (ISO code)'),
  transfer: z
    .string()
    .describe('What makes the transfer lawful: inside the EEA, an adequacy decision, SCCs, BCRs'),
  purposes: z.array(z.string()),
  destination: z
    .boolean()
    .describe('Whether a webhook URL and secret are configured (CANDOR_VENDOR_<KEY>_URL)'),
  sent: z.int().describe('Deliveries the vendor acknowledged with a 2xx'),
  pending: z.int().describe('Deliveries waiting in the outbox'),
  failed: z.int().describe('Of the pending, those whose last try failed (retried with backoff)'),
  deadLettered: z.int().describe('Deliveries given up on after the configured tries; replayable'),
  withdrawn: z.int().describe('Deliveries never sent because consent was withdrawn before sending'),
  deletionsPending: z.int().describe('Deletion requests the vendor has not acknowledged yet'),
  deletionsOverdue: z.int().describe('Of those, the ones past their due time'),
})
export type VendorStatus = z.infer<typeof VendorStatusSchema>
export const VendorListSchema = z.object({ vendors: z.array(VendorStatusSchema) })

export const DELIVERY_STATUSES = ['pending', 'sent', 'dead', 'withdrawn'] as const

/** A delivery as staff see it: what kind of event, which fields and purposes; never whose or values. */
export const DeliveryViewSchema = z.object({
  id: z.string().describe('The delivery id, sent as `webhook-id` (the idempotency id)'),
  eventType: z.string(),
  purposes: z.array(z.string()),
  fields: z.array(z.string()),
  status: z.enum(DELIVERY_STATUSES),
  attempts: z.int(),
  lastError: z.string().nullable().describe('The last failure: an HTTP status or a network error'),
  createdAt: z.string(),
  sentAt: z.string().nullable(),
})
export type DeliveryView = z.infer<typeof DeliveryViewSchema>

export const OverdueDeletionSchema = z.object({
  id: z.string(),
  vendor: z.string(),
  reason: z
    .enum(['erasure', 'objection', 'withdrawal'])
    .describe('Why it was asked: erasure, objection, or a withdrawal of consent to a purpose'),
  attempts: z.int(),
  lastError: z.string().nullable(),
  createdAt: z.string(),
  dueAt: z.string(),
})
export type OverdueDeletion = z.infer<typeof OverdueDeletionSchema>

/** The export section: which vendor received what and when, and the deletion requests sent. */
export interface SubjectSharing {
  deliveries: {
    vendor: string
    vendorName: string
    pseudonym: string
    eventType: string
    purposes: string[]
    fields: string[]
    status: string
    createdAt: string
    sentAt: string | null
  }[]
  deletionRequests: {
    vendor: string
    reason: string
    status: string
    createdAt: string
    dueAt: string
    acknowledgedAt: string | null
  }[]
}
