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
import { createRecommendService } from './modules/recommend/index.js'
import { createRetentionService } from './modules/retention/index.js'
import { createSessionService } from './modules/session/index.js'
import {
  type SubjectDataParticipant,
  createOutboxNotifier,
  createRightsService,
} from './modules/rights/index.js'
import path from 'node:path'

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
  const audit = createAuditLog({ db: storage.db, dialect: storage.dialect, clock, keys })
  const identity = createIdentityService({ db: storage.db, clock, keys, changes: storage.changes })
  const auth = createAuthService({
    db: storage.db,
    clock,
    keys,
    audit,
    shopperTokenTtlSeconds: config.shopperTokenTtlSeconds,
  })
  // A visit's events and consent records go with it; those modules are built below.
  const session = createSessionService({
    db: storage.db,
    changes: storage.changes,
    clock,
    keys,
    audit,
    data: () => ({
      eraseEvents: async (executor, key) => (await events.eraseSubject(executor, key)).events,
      eraseConsentRecords: async (executor, key) =>
        (await consent.eraseSubject(executor, key)).consentRecords,
    }),
  })
  const consent = createConsentService({
    db: storage.db,
    clock,
    charter,
    audit,
    changes: storage.changes,
    sessions: session,
  })
  const catalog = createCatalogService({ db: storage.db, clock, charter, audit })
  const events = createEventsService({
    db: storage.db,
    changes: storage.changes,
    clock,
    charter,
    audit,
    sessions: session,
    identity,
    consent,
  })
  const recommend = createRecommendService({
    db: storage.db,
    charter,
    changes: storage.changes,
    clock,
    audit,
    identity,
    consent,
    session,
    events,
    catalog,
  })
  const retention = createRetentionService({
    db: storage.db,
    clock,
    audit,
    participants: [
      { name: 'events', deleteExpired: (executor, now) => events.deleteExpired(executor, now) },
      { name: 'catalog', deleteExpired: (executor, now) => catalog.deleteExpired(executor, now) },
      {
        name: 'recommend',
        deleteExpired: (executor, now) => recommend.deleteExpired(executor, now),
      },
    ],
  })
  // Every module that holds data on a subject, in erasure order: identity last, because erasing it
  // makes the customer reference unresolvable.
  const participants: SubjectDataParticipant[] = [
    {
      // First: it reads nothing from the other modules to subtract the subject from the model.
      name: 'recommend',
      exportSubject: (subjectId) => recommend.exportSubject(subjectId),
      eraseSubject: (trx, subjectId) => recommend.eraseSubject(trx, subjectId),
      forgetInModels: (subjectId) => recommend.forgetInModels(subjectId),
      rectify: async (trx, subjectId, input) => {
        if (input.removeInferences !== true && (input.notMyEvents ?? []).length === 0) return {}
        // What the model learned from the subject may rest on wrong data: out until the next training,
        // which reads the corrected history.
        await recommend.forgetInModels(subjectId, trx)
        return { modelContributions: 1 }
      },
    },
    {
      name: 'events',
      exportSubject: (subjectId) => events.exportSubject(subjectId),
      eraseSubject: (trx, subjectId) => events.eraseSubject(trx, subjectId),
      rectify: (trx, subjectId, input) =>
        events.deleteSubjectEvents(trx, subjectId, input.notMyEvents ?? []),
    },
    {
      name: 'consent',
      exportSubject: (subjectId) => consent.exportSubject(subjectId),
      eraseSubject: (trx, subjectId) => consent.eraseSubject(trx, subjectId),
    },
    {
      name: 'audit',
      // Entries name the subject by pseudonym only, which erasure makes unlinkable; the chain stays whole.
      exportSubject: async (subjectId) => ({ entries: await audit.listForSubject(subjectId) }),
      eraseSubject: async () => ({}),
    },
    // Verification codes waiting in the outbox, each with the address it goes to (found by the
    // subject's rights requests, see `rights.messages`).
    {
      name: 'outbox',
      exportSubject: (subjectId) => rights.messages.exportSubject(subjectId),
      eraseSubject: (trx, subjectId) => rights.messages.eraseSubject(trx, subjectId),
    },
    {
      name: 'identity',
      exportSubject: async (subjectId) => ({
        vault: (await identity.readVault(subjectId)) ?? null,
      }),
      eraseSubject: async (trx, subjectId) => {
        await identity.eraseSubject(trx, subjectId)
        return { subjects: 1 }
      },
      rectify: async (trx, subjectId, input) => {
        if (input.vault === undefined) return {}
        const current = (await identity.readVault(subjectId, trx)) ?? {}
        await identity.writeVault(trx, subjectId, { ...current, ...input.vault })
        return { vaultFields: Object.keys(input.vault).length }
      },
    },
  ]
  const rights = createRightsService({
    db: storage.db,
    scrub: () => storage.scrub(),
    clock,
    charter,
    audit,
    identity,
    consent,
    notifier: createOutboxNotifier(path.join(config.dataDir, 'outbox')),
    keys,
    participants: () => participants,
  })
  return {
    config,
    charter,
    rights,
    recommend,
    consent,
    clock,
    storage,
    keys,
    audit,
    auth,
    identity,
    catalog,
    events,
    session,
    retention,
  }
}

export type Services = ReturnType<typeof createServices>
