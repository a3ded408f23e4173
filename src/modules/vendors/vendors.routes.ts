import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { withExample } from '../../http/openapi.js'
import { actorOf } from '../audit/index.js'
import type { VendorsService } from './vendors.service.js'
import {
  DELIVERY_STATUSES,
  DeliveryViewSchema,
  OverdueDeletionSchema,
  VendorListSchema,
} from './vendors.js'

const STAFF = { access: { roles: ['privacy_officer', 'admin'] as const } }

const VENDOR_EXAMPLE = {
  vendors: [
    {
      vendor: 'ad-network',
      name: 'Example Ad Network Inc.',
      country: 'US',
      transfer: 'standard contractual clauses',
      purposes: ['marketing.advertising.third_party'],
      destination: true,
      sent: 1289,
      pending: 4,
      failed: 1,
      deadLettered: 2,
      withdrawn: 17,
      deletionsPending: 1,
      deletionsOverdue: 0,
    },
  ],
}
const DELIVERY_EXAMPLE = {
  id: 'dlv_0mxcqqu4z0000szlt5w6g',
  eventType: 'view',
  purposes: ['marketing.advertising.third_party'],
  fields: ['item'],
  status: 'dead' as const,
  attempts: 8,
  lastError: 'HTTP 503',
  createdAt: '2026-03-02T09:00:00.000Z',
  sentAt: null,
}
const OVERDUE_EXAMPLE = {
  deletions: [
    {
      id: 'vdr_0mxcqqu4z0000szlt5w6g',
      vendor: 'ad-network',
      reason: 'erasure' as const,
      attempts: 14,
      lastError: 'HTTP 500',
      createdAt: '2026-03-02T09:00:00.000Z',
      dueAt: '2026-03-05T09:00:00.000Z',
    },
  ],
}

const VendorParams = z.object({ vendor: z.string().min(1).max(64) })
const DeliveryParams = VendorParams.extend({ deliveryId: z.string().min(1).max(40) })
const DeliveriesQuery = z.object({
  status: z.enum(DELIVERY_STATUSES).default('dead'),
  limit: z.coerce.number().int().min(1).max(500).default(100),
})

const OVERDUE_SCHEMA = {
  tags: ['vendors'],
  summary:
    'Deletion requests no vendor acknowledged by their due time (CANDOR_VENDOR_DELETION_OVERDUE_HOURS)',
  response: {
    200: withExample(z.object({ deletions: z.array(OverdueDeletionSchema) }), OVERDUE_EXAMPLE),
  },
}

/** Sharing with vendors, for privacy officers and admins: status, deliveries, replay, overdue deletions. */
export const vendorsRoutes: FastifyPluginAsyncZod<{
  services: { vendors: VendorsService }
}> = async (app, { services }) => {
  const { vendors } = services
  app.get(
    '/v1/vendors',
    {
      config: STAFF,
      schema: {
        tags: ['vendors'],
        summary:
          'Each charter vendor with its deliveries sent, failed, dead-lettered and deletions pending',
        response: { 200: withExample(VendorListSchema, VENDOR_EXAMPLE) },
      },
    },
    async () => ({ vendors: await vendors.status() }),
  )

  app.get(
    '/v1/vendors/:vendor/deliveries',
    {
      config: STAFF,
      schema: {
        tags: ['vendors'],
        summary:
          "A vendor's deliveries in one state (default dead-lettered), newest first; no shopper",
        params: VendorParams,
        querystring: DeliveriesQuery,
        response: {
          200: withExample(z.object({ deliveries: z.array(DeliveryViewSchema) }), {
            deliveries: [DELIVERY_EXAMPLE],
          }),
        },
      },
    },
    async (request) => ({
      deliveries: await vendors.deliveries(
        request.params.vendor,
        request.query.status,
        request.query.limit,
      ),
    }),
  )

  app.post(
    '/v1/vendors/:vendor/deliveries/:deliveryId/replay',
    {
      config: STAFF,
      schema: {
        tags: ['vendors'],
        summary: 'Queues a dead-lettered delivery again (consent is checked again when it is sent)',
        description:
          '404 for an unknown vendor or delivery; 409 when the delivery is not dead-lettered.',
        params: DeliveryParams,
        response: {
          202: withExample(DeliveryViewSchema, {
            ...DELIVERY_EXAMPLE,
            status: 'pending',
            attempts: 0,
          }),
        },
      },
    },
    async (request, reply) => {
      const { vendor, deliveryId } = request.params
      return reply.code(202).send(await vendors.replay(vendor, deliveryId, actorOf(request)))
    },
  )

  app.get(
    '/v1/vendors/deletions/overdue',
    {
      config: STAFF,
      schema: OVERDUE_SCHEMA,
    },
    async () => ({ deletions: await vendors.overdueDeletions() }),
  )
}
