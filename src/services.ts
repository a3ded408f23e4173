import type { Config } from './config.js'
import type { Clock } from './lib/clock.js'
import type { Storage } from './storage/db.js'
import { createAuditLog } from './modules/audit/index.js'
import { createAuthService } from './modules/auth/index.js'
import { type Keyring, pseudonymize } from './modules/identity/index.js'

export interface ServiceDeps {
  config: Config
  storage: Storage
  clock: Clock
  keyring: Keyring
}

/**
 * Composes the modules into the services the HTTP routes, the CLI and the background jobs share. Work
 * that spans modules is wired here, through each module's public functions, never by SQL across them.
 */
export function createServices(deps: ServiceDeps) {
  const { storage, clock, keyring, config } = deps
  const audit = createAuditLog({ db: storage.db, dialect: storage.dialect, clock })
  const auth = createAuthService({
    db: storage.db,
    clock,
    keyring,
    audit,
    shopperTokenTtlSeconds: config.shopperTokenTtlSeconds,
  })
  return {
    config,
    clock,
    storage,
    keyring,
    audit,
    auth,
    /** The subject id (pseudonym) for a shop's customer reference. */
    resolveSubject: (ref: string) => pseudonymize(keyring, ref),
  }
}

export type Services = ReturnType<typeof createServices>
