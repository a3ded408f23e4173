import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { AppError } from '../../lib/errors.js'
import { actorOf } from '../audit/index.js'
import { ItemBatchSchema, ItemIdSchema, ItemSchema } from './catalog.js'
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
        body: ItemBatchSchema,
        response: { 200: z.object({ upserted: z.number().int() }) },
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
        response: { 200: ItemSchema },
      },
    },
    async (request) => {
      const [item] = await services.catalog.getItems([request.params.id])
      if (item === undefined) throw new AppError('not_found', 'No item with this id')
      return item
    },
  )
}
