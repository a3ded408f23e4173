import type { Clock } from '../../lib/clock.js'
import { AppError, type FieldIssue } from '../../lib/errors.js'
import type { Db } from '../../storage/db.js'
import type { Actor, AuditLog } from '../audit/index.js'
import type { Charter } from '../charter/index.js'
import { type Item, ItemInputSchema, type ItemInput } from './catalog.js'
import { createCatalogRepository } from './catalog.repository.js'

export interface CatalogDeps {
  db: Db
  clock: Clock
  charter: Charter
  audit: AuditLog
}

export type CatalogService = ReturnType<typeof createCatalogService>

/**
 * Items the shop sells. Upserts are whole-item (a field left out takes its default), by id, in one
 * transaction per batch. A special-category tag must be one the charter lists, so the recommender's
 * exclusions follow the shop's own policy.
 */
export function createCatalogService(deps: CatalogDeps) {
  const repo = createCatalogRepository()
  const allowedSpecial = new Set<string>(deps.charter.specialCategories)

  /** Validates and normalizes a batch; throws `validation_failed` naming each bad field. */
  function prepare(inputs: readonly ItemInput[], fieldPrefix = 'body.items'): Item[] {
    const now = deps.clock.now().toISOString()
    const issues: FieldIssue[] = []
    const items: Item[] = []
    inputs.forEach((input, index) => {
      const parsed = ItemInputSchema.safeParse(input)
      if (!parsed.success) {
        for (const issue of parsed.error.issues) {
          issues.push({
            field: [fieldPrefix, index, ...issue.path.map(String)].join('.'),
            reason: issue.message,
          })
        }
        return
      }
      const value = parsed.data
      if (value.specialCategory !== undefined && !allowedSpecial.has(value.specialCategory)) {
        issues.push({
          field: `${fieldPrefix}.${index}.specialCategory`,
          reason: `must be one of the charter's special categories: ${[...allowedSpecial].join(', ')}`,
        })
        return
      }
      const item: Item = {
        id: value.id,
        title: value.title,
        category: value.category,
        available: value.available,
        updatedAt: now,
      }
      if (value.price !== undefined) item.price = value.price
      if (value.currency !== undefined) item.currency = value.currency
      if (value.stock !== undefined) item.stock = value.stock
      if (value.specialCategory !== undefined) item.specialCategory = value.specialCategory
      items.push(item)
    })
    if (issues.length > 0) {
      throw new AppError('validation_failed', `${issues[0]!.field}: ${issues[0]!.reason}`, {
        issues,
      })
    }
    // The last occurrence of an id in a batch wins, as if the items were sent one by one.
    return [...new Map(items.map((item) => [item.id, item])).values()]
  }

  return {
    /** Validates a batch and upserts it (all or nothing), with one audit entry. */
    async upsertItems(inputs: readonly ItemInput[], actor: Actor): Promise<{ upserted: number }> {
      const items = prepare(inputs)
      await deps.db.transaction().execute(async (trx) => {
        await repo.upsertMany(trx, items)
        await deps.audit.record(trx, {
          actor,
          action: 'catalog.upserted',
          details: { items: items.length },
        })
      })
      return { upserted: items.length }
    },

    /** Upserts inside the caller's transaction (the order import); throws on a bad item. */
    async upsertItemsIn(executor: Db, inputs: readonly ItemInput[]): Promise<number> {
      const items = prepare(inputs, 'items')
      await repo.upsertMany(executor, items)
      return items.length
    },

    async getItems(ids: readonly string[]): Promise<Item[]> {
      return repo.findMany(deps.db, [...new Set(ids)])
    },

    /** The whole catalog, a page at a time in id order (for training and serving). */
    async listItems(options: { after?: string; limit?: number } = {}): Promise<Item[]> {
      return repo.listAfter(deps.db, options.after, options.limit ?? 1000)
    },

    /**
     * Items upserted at or after `since` (their `updatedAt`, an ISO time), in that order: how a process
     * holding a copy of the catalog (the recommender) learns what it lacks, whichever process wrote it.
     */
    async listItemsUpdatedSince(since: string): Promise<Item[]> {
      return repo.listUpdatedSince(deps.db, since)
    },

    /** Items tagged with a special category: never used for personal recommendations. */
    async listSpecialCategoryItems(): Promise<{ id: string; specialCategory: string }[]> {
      return repo.listSpecial(deps.db)
    },

    /** The catalog holds nothing about a subject: here so every module answers the rights issue alike. */
    async exportSubject(_subjectId: string): Promise<Record<string, never>> {
      return {}
    },
    async eraseSubject(_executor: Db, _subjectId: string): Promise<Record<string, number>> {
      return {}
    },
    /** Items do not expire. */
    async deleteExpired(_executor: Db, _now: Date): Promise<Record<string, number>> {
      return {}
    },
  }
}
