import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { AppError } from '../../lib/errors.js'
import { actorOf } from '../audit/index.js'
import { withExample } from '../../http/openapi.js'
import { ItemBatchSchema, ItemIdSchema, ItemSchema } from './catalog.js'

/** What `/docs` shows: two items of the demo shop, as a shop's catalog feed sends them. */
const ITEM_EXAMPLE = {
  id: '85123A',
  title: 'White Hanging Heart T-light Holder',
  category: ['Home and decor', 'Candles and lights'],
  price: 2.95,
  currency: 'GBP',
}
const ITEMS_EXAMPLE = {
  items: [
    ITEM_EXAMPLE,
    {
      id: '22423',
      title: 'Regency Cakestand 3 Tier',
      category: ['Kitchen and dining'],
      price: 12.75,
      currency: 'GBP',
      available: false,
    },
  ],
}
import type { CatalogService } from './catalog.service.js'

const CATALOG_ACCESS = { roles: ['storefront', 'admin'] as const }

/** The item catalog: batch upsert and lookup (storefront and admin keys). */
export const catalogRoutes: FastifyPluginAsyncZod<{
  services: { catalog: CatalogService }
}> = async (app, { services }) => {
  app.put(
    '/v1/items',
    {
      config: { access: CATALOG_ACCESS },
      schema: {
        tags: ['catalog'],
        summary: 'Create or replace up to 1,000 items (all or nothing)',
        body: withExample(ItemBatchSchema, ITEMS_EXAMPLE),
        response: { 200: withExample(z.object({ upserted: z.number().int() }), { upserted: 2 }) },
      },
    },
    async (request) => services.catalog.upsertItems(request.body.items, actorOf(request)),
  )

  app.get(
    '/v1/items/:id',
    {
      config: { access: CATALOG_ACCESS },
      schema: {
        tags: ['catalog'],
        summary: 'One item',
        params: z.object({ id: ItemIdSchema }),
        response: {
          200: withExample(ItemSchema, {
            ...ITEM_EXAMPLE,
            available: true,
            updatedAt: '2026-03-01T09:00:12.480Z',
          }),
        },
      },
    },
    async (request) => {
      const [item] = await services.catalog.getItems([request.params.id])
      if (item === undefined) throw new AppError('not_found', 'No item with this id')
      return item
    },
  )
}
