import type { Config } from './config.js'
import type { Clock } from './lib/clock.js'
import type { Storage } from './storage/db.js'
import { createAuditLog } from './modules/audit/index.js'
import { createAuthService } from './modules/auth/index.js'
import type { Charter } from './modules/charter/index.js'
import { createConsentService } from './modules/consent/consent.service.js'
import { type KeyringHolder, createIdentityService } from './modules/identity/index.js'
import { createCatalogService } from './modules/catalog/index.js'
import { createEventsService } from './modules/events/index.js'
import { createRetentionService } from './modules/retention/index.js'

export interface ServiceDeps {
  config: Config
  storage: Storage
  clock: Clock
  keys: KeyringHolder
  charter: Charter
}

/**
 * Composes the modules into the services the HTTP routes, the CLI and the background jobs share. Work
 * that spans modules is wired here, through each module's public functions, never by SQL across them.
 */
export function createServices(deps: ServiceDeps) {
  const { storage, clock, keys, config, charter } = deps
  const audit = createAuditLog({ db: storage.db, dialect: storage.dialect, clock })
  const identity = createIdentityService({ db: storage.db, clock, keys })
  const auth = createAuthService({
    db: storage.db,
    clock,
    keys,
    audit,
    shopperTokenTtlSeconds: config.shopperTokenTtlSeconds,
  })
  const consent = createConsentService({ db: storage.db, clock, charter, audit })
  const catalog = createCatalogService({ db: storage.db, clock, charter, audit })
  const events = createEventsService({
    db: storage.db,
    clock,
    charter,
    keys,
    audit,
    identity,
    consent,
  })
  const retention = createRetentionService({
    db: storage.db,
    clock,
    audit,
    participants: [
      { name: 'events', deleteExpired: (executor, now) => events.deleteExpired(executor, now) },
      { name: 'catalog', deleteExpired: (executor, now) => catalog.deleteExpired(executor, now) },
    ],
  })
  return {
    config,
    charter,
    consent,
    clock,
    storage,
    keys,
    audit,
    auth,
    identity,
    catalog,
    events,
    retention,
  }
}

export type Services = ReturnType<typeof createServices>
