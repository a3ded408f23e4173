/** The item catalog: items with a category path, price, availability and a special-category tag. */
export {
  ItemIdSchema,
  ItemInputSchema,
  ItemBatchSchema,
  ItemSchema,
  MAX_ITEMS_BATCH,
  type Item,
  type ItemInput,
} from './catalog.js'
export { createCatalogService, type CatalogService } from './catalog.service.js'
export { catalogRoutes } from './catalog.routes.js'
export { catalogDataParticipant } from './catalog.participant.js'
