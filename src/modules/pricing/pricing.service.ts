import { type Clock, DAY_MS } from '../../lib/clock.js'
import { AppError } from '../../lib/errors.js'
import { newId, newSortableId } from '../../lib/ids.js'
import type { Db } from '../../storage/db.js'
import { type Actor, type AuditLog, describeActor } from '../audit/index.js'
import type { CatalogService, Item } from '../catalog/index.js'
import {
  type PriceAnswer,
  type PriceSuggestion,
  type PricingRule,
  type PricingRuleInput,
  PricingRuleInputSchema,
  type SkippedItem,
  type SuggestionStatus,
} from './pricing.js'
import { type PriceObservation, estimateElasticity } from './pricing.elasticity.js'
import { type DemandSource, groupDemand } from './pricing.inputs.js'
import { createPricingRepository } from './pricing.repository.js'
import { type PriceGuard, isAllowed } from './pricing.rules.js'
import { suggestPrice } from './pricing.suggest.js'

/**
 * What pricing needs, and nothing that knows a shopper: the catalog, aggregate demand per item and
 * day, the audit log. No subject, session or consent reaches it (the import rule in
 * `.dependency-cruiser.mjs` keeps it so).
 */
export interface PricingDeps {
  db: Db
  clock: Clock
  audit: AuditLog
  catalog: Pick<CatalogService, 'listItems' | 'getItems'>
  demand: DemandSource
}

export type PricingService = ReturnType<typeof createPricingService>

/** How far back sales feed the elasticity. */
export const ELASTICITY_DAYS = 365

const topCategory = (item: Item): string => item.category[0] ?? 'uncategorized'
const startOfDay = (now: Date) =>
  new Date(Math.floor(now.getTime() / DAY_MS) * DAY_MS).toISOString()

/**
 * Guarded dynamic pricing: rules per category, suggestion runs, staff decisions and the price served.
 * Every price set is an audit entry with its explanation, in the transaction that sets it.
 */
export function createPricingService(deps: PricingDeps) {
  const repo = createPricingRepository()
  const { db, clock, audit } = deps

  async function allItems(): Promise<Item[]> {
    const items: Item[] = []
    let after: string | undefined
    for (;;) {
      const page = await deps.catalog.listItems({
        ...(after === undefined ? {} : { after }),
        limit: 1000,
      })
      items.push(...page)
      if (page.length < 1000) return items
      after = page.at(-1)!.id
    }
  }

  async function guardFor(
    executor: Db,
    item: Item,
    rule: PricingRule,
    now: Date,
  ): Promise<PriceGuard> {
    const before = await repo.pricesBefore(executor, [item.id], startOfDay(now))
    const listPrice = item.price ?? 0
    return { rule, listPrice, dayStartPrice: before.get(item.id)?.price ?? listPrice }
  }

  async function setPrice(
    executor: Db,
    s: PriceSuggestion,
    source: 'approved' | 'automatic',
    actor: Actor,
  ): Promise<void> {
    const at = clock.now()
    await repo.insertPrice(executor, {
      item: s.item,
      id: newSortableId('prc', at.getTime()),
      setAt: at.toISOString(),
      price: s.suggestedPrice,
      source,
      suggestionId: s.id,
    })
    await audit.record(executor, {
      actor,
      action: 'pricing.price_changed',
      details: {
        item: s.item,
        from: s.currentPrice,
        to: s.suggestedPrice,
        source,
        suggestion: s.id,
        explanation: s.explanation,
      },
    })
  }

  /** One run's suggestion for each item under a rule, or why it has none. */
  async function computeRun(now: Date) {
    const rules = new Map((await repo.listRules(db)).map((r) => [r.category, r]))
    const items = (await allItems()).filter(
      (i) => i.price !== undefined && i.price > 0 && rules.has(topCategory(i)),
    )
    const to = new Date(now.getTime() + 1).toISOString()
    const from = new Date(now.getTime() - ELASTICITY_DAYS * DAY_MS).toISOString()
    const inputs = groupDemand(await deps.demand(from, to))
    const byCategory = new Map<string, PriceObservation[]>()
    for (const item of items) {
      const list = byCategory.get(topCategory(item)) ?? []
      list.push(...(inputs.get(item.id)?.weeks ?? []))
      byCategory.set(topCategory(item), list)
    }
    const ids = items.map((i) => i.id)
    const latest = await repo.latestPrices(db, ids)
    const dayStart = await repo.pricesBefore(db, ids, startOfDay(now))
    const suggestions: PriceSuggestion[] = []
    const skipped: SkippedItem[] = []
    for (const item of items) {
      const category = topCategory(item)
      const rule = rules.get(category)!
      const listPrice = item.price!
      const currentPrice = latest.get(item.id)?.price ?? listPrice
      const own = inputs.get(item.id)
      const outcome = suggestPrice({
        now,
        days: own?.days ?? [],
        available: item.available,
        ...(item.stock === undefined ? {} : { stock: item.stock }),
        currentPrice,
        elasticity: estimateElasticity(own?.weeks ?? [], byCategory.get(category) ?? []),
        guard: { rule, listPrice, dayStartPrice: dayStart.get(item.id)?.price ?? listPrice },
      })
      if (!outcome.ok) {
        skipped.push({ item: item.id, reason: outcome.reason })
        continue
      }
      suggestions.push({
        id: newId('psg'),
        item: item.id,
        category,
        currentPrice,
        suggestedPrice: outcome.price,
        listPrice,
        ...(item.currency === undefined ? {} : { currency: item.currency }),
        explanation: outcome.explanation,
        demand: outcome.demand,
        elasticity: outcome.elasticity,
        ...(outcome.limitedBy === undefined ? {} : { limitedBy: outcome.limitedBy }),
        status: rule.mode === 'automatic' ? 'applied' : 'pending',
        createdAt: now.toISOString(),
      })
    }
    return { ids, suggestions, skipped }
  }

  return {
    /** Sets a category's rules (replacing earlier ones); 400 names a protected period that ends before it starts. */
    async setRule(category: string, input: PricingRuleInput, actor: Actor): Promise<PricingRule> {
      const body = PricingRuleInputSchema.parse(input)
      body.protectedPeriods.forEach((p, i) => {
        if (Date.parse(p.until) <= Date.parse(p.from))
          throw new AppError(
            'validation_failed',
            `body.protectedPeriods.${i}.until: must be after from`,
            {
              issues: [{ field: `body.protectedPeriods.${i}.until`, reason: 'must be after from' }],
            },
          )
      })
      const rule: PricingRule = { ...body, category, updatedAt: clock.now().toISOString() }
      await db.transaction().execute(async (trx) => {
        await repo.upsertRule(trx, rule)
        await audit.record(trx, {
          actor,
          action: 'pricing.rule_set',
          details: {
            category,
            floor: body.floor,
            ceiling: body.ceiling,
            maxDailyChange: body.maxDailyChange,
            mode: body.mode,
            protectedPeriods: body.protectedPeriods.length,
          },
        })
      })
      return rule
    },

    listRules: () => repo.listRules(db),

    /**
     * Suggests a price for every item whose category has rules, from aggregate demand, stock and the
     * estimated elasticity, within the rules. Pending suggestions of those items are superseded; in an
     * `automatic` category the suggestion applies at once. One transaction, with the audit entries.
     */
    async run(actor: Actor): Promise<{ suggestions: PriceSuggestion[]; skipped: SkippedItem[] }> {
      const now = clock.now()
      const { ids, suggestions, skipped } = await computeRun(now)
      await db.transaction().execute(async (trx) => {
        await repo.supersedePending(trx, ids, now.toISOString())
        for (const s of suggestions) {
          await repo.insertSuggestion(trx, s)
          if (s.status === 'applied') await setPrice(trx, s, 'automatic', actor)
        }
        await audit.record(trx, {
          actor,
          action: 'pricing.run',
          details: {
            suggested: suggestions.filter((s) => s.status === 'pending').length,
            applied: suggestions.filter((s) => s.status === 'applied').length,
            skipped: skipped.length,
          },
        })
      })
      return { suggestions, skipped }
    },

    listSuggestions: (status?: SuggestionStatus, limit = 200) =>
      repo.listSuggestions(db, status, limit),

    /**
     * Approves (the price is set, if it is still within today's bounds and the price it started from is
     * still the one served) or rejects a pending suggestion. 409 otherwise, nothing written.
     */
    async decide(
      id: string,
      decision: 'approve' | 'reject',
      actor: Actor,
    ): Promise<PriceSuggestion> {
      // Read before the transaction: on SQLite it holds the only connection.
      const before = await repo.findSuggestion(db, id)
      const [item] = before === undefined ? [] : await deps.catalog.getItems([before.item])
      return db.transaction().execute(async (trx) => {
        const s = await repo.findSuggestion(trx, id)
        if (s === undefined) throw new AppError('not_found', 'No price suggestion with this id')
        if (s.status !== 'pending')
          throw new AppError('conflict', `This suggestion is ${s.status}, not pending`)
        const now = clock.now()
        const decided = { ...s, decidedAt: now.toISOString(), decidedBy: describeActor(actor) }
        if (decision === 'reject') {
          const rejected: PriceSuggestion = { ...decided, status: 'rejected' }
          await repo.updateSuggestion(trx, rejected)
          await audit.record(trx, {
            actor,
            action: 'pricing.suggestion_rejected',
            details: { item: s.item, suggestion: s.id, explanation: s.explanation },
          })
          return rejected
        }
        const rule = (await repo.listRules(trx)).find((r) => r.category === s.category)
        if (item === undefined || item.price === undefined || rule === undefined)
          throw new AppError('conflict', 'The item or its category rules are gone; run again')
        const current = (await repo.latestPrices(trx, [s.item])).get(s.item)?.price ?? item.price
        if (current !== s.currentPrice)
          throw new AppError('conflict', 'The price changed since this suggestion; run again')
        if (!isAllowed(s.suggestedPrice, await guardFor(trx, item, rule, now), now))
          throw new AppError(
            'conflict',
            "The suggested price is outside today's bounds (floor, ceiling, daily change or a protected period); run again",
          )
        const approved: PriceSuggestion = { ...decided, status: 'approved' }
        await repo.updateSuggestion(trx, approved)
        await setPrice(trx, approved, 'approved', actor)
        return approved
      })
    },

    /** The price served now for an item: the newest one pricing set, else the catalog's. Same for everyone. */
    async currentPrice(itemId: string): Promise<PriceAnswer> {
      const [item] = await deps.catalog.getItems([itemId])
      if (item === undefined || item.price === undefined)
        throw new AppError('not_found', 'No item with this id, or it has no price')
      const set = (await repo.latestPrices(db, [itemId])).get(itemId)
      return {
        item: item.id,
        price: set?.price ?? item.price,
        ...(item.currency === undefined ? {} : { currency: item.currency }),
        listPrice: item.price,
        source: set?.source ?? 'list',
        ...(set === undefined ? {} : { setAt: set.setAt }),
      }
    },
  }
}
