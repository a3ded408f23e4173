import path from 'node:path'
import type { Config } from '../config.js'
import type { Clock } from '../lib/clock.js'
import type { Storage } from '../storage/db.js'
import { AuthFailureLimit } from '../http/rate-limit.js'
import { auditDataParticipant, createAuditLog } from '../modules/audit/index.js'
import { createAuthService } from '../modules/auth/index.js'
import type { Charter } from '../modules/charter/index.js'
import { consentDataParticipant, createConsentService } from '../modules/consent/index.js'
import {
  type KeyringHolder,
  createIdentityService,
  identityDataParticipant,
} from '../modules/identity/index.js'
import { catalogDataParticipant, createCatalogService } from '../modules/catalog/index.js'
import { createEventsService, eventsDataParticipant } from '../modules/events/index.js'
import {
  createExperimentsService,
  experimentsDataParticipant,
} from '../modules/experiments/index.js'
import {
  cleanroomDataParticipant,
  createCleanroomService,
  createInsightsService,
} from '../modules/insights/index.js'
import { createJobRunner } from '../modules/jobs/index.js'
import { createRecommendService, recommendDataParticipant } from '../modules/recommend/index.js'
import { type RetentionParticipant, createRetentionService } from '../modules/retention/index.js'
import { createReviewsService, runAudits } from '../modules/reviews/index.js'
import { createSessionService } from '../modules/session/index.js'
import { createFederatedService, federatedDataParticipant } from '../modules/federated/index.js'
import { createVendorsService, vendorsDataParticipant } from '../modules/vendors/index.js'
import { createPricingService } from '../modules/pricing/index.js'
import { assistantDataParticipant, createAssistantService } from '../modules/assistant/index.js'
import {
  createOfferMail,
  createOffersService,
  offersDataParticipant,
} from '../modules/offers/index.js'
import {
  createVoiceAspectReader,
  createVoiceService,
  voiceDataParticipant,
} from '../modules/voice/index.js'
import {
  type SubjectDataParticipant,
  createOutboxNotifier,
  createRightsService,
  outboxDataParticipant,
} from '../modules/rights/index.js'

export interface ServiceDeps {
  config: Config
  storage: Storage
  clock: Clock
  keys: KeyringHolder
  charter: Charter
}

/**
 * The composition root: builds every module's service and hands each the others it needs, for the HTTP
 * routes, the CLI and the background jobs to share. It holds no rules: work that spans modules goes
 * through each module's index.ts (a rule found here belongs in the module that owns it), and each
 * module's part in rights requests and retention is its own `<module>DataParticipant`; only their
 * order is decided here.
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
    charter,
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
    // A withdrawal asks the vendors that received data under the purpose to delete it (issue 23).
    onWithdrawal: (executor, subjectId, purpose) =>
      vendors.requestDeletions(executor, subjectId, 'withdrawal', purpose),
  })
  // Sharing with vendors: its outbox is written by ingest, in the events' transaction (issue 23).
  const vendors = createVendorsService({
    db: storage.db,
    clock,
    charter,
    keys,
    audit,
    consent,
    settings: config.vendors,
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
    shareWithVendors: (trx, stored, now) => vendors.enqueue(trx, stored, now),
  })
  // Federated reports (issue 22): anonymous sketch totals that training adds to the co-occurrence.
  const federated = createFederatedService({ db: storage.db, clock, charter })
  // Experiments vary recommendations (`variants`) and count outcomes from the answers' attribution
  // and voice's privacy-tagged feedback (read when the rollout job runs: recommend is built below).
  const voiceAspects = createVoiceAspectReader(storage.db)
  const experiments = createExperimentsService({
    db: storage.db,
    changes: storage.changes,
    clock,
    keys,
    charter,
    audit,
    identity,
    consent,
    session,
    outcomes: {
      attributedSince: (since) => recommend.attributedSince(since),
      creepySince: (since) => voiceAspects.ownersWithAspect('privacy', since),
    },
  })
  const recommend = createRecommendService({
    variants: experiments,
    federated,
    // The rating weight (issue 21) reads voice's stored ratings; voice is built below (read on use).
    ratings: { itemRatings: (since, low) => voice.itemRatings(since, low) },
    db: storage.db,
    // CANDOR_TRAIN_INTERVAL_MINUTES=0: this process trains only when asked (`candor train`, the admin route).
    trainsOnFirstUse: config.trainIntervalMinutes > 0,
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
  const insights = createInsightsService({ db: storage.db, clock, charter, audit })
  const cleanroom = createCleanroomService({
    db: storage.db,
    clock,
    charter,
    keys,
    audit,
    consent,
    identity,
    insights,
  })
  const voice = createVoiceService({
    db: storage.db,
    clock,
    charter,
    audit,
    identity,
    consent,
    session,
    recommend,
    webhookUrl: config.voiceWebhookUrl,
  })
  // Offers keep no per-shopper rows: their caps and "not this" are the recommend module's.
  const offers = createOffersService({
    db: storage.db,
    clock,
    charter,
    audit,
    catalog,
    consent,
    identity,
    session,
    events,
    recommend,
    // An experiment over offers shows its variant's offer (`settings.offer`) to the shoppers in it.
    variants: experiments,
  })
  // The outbox: verification codes (rights) and offer e-mails, each kind found again by its own keys.
  const outbox = createOutboxNotifier(path.join(config.dataDir, 'outbox'))
  const offerMail = createOfferMail({
    db: storage.db,
    clock,
    charter,
    audit,
    keys,
    consent,
    identity,
    outbox,
    offers,
    publicUrl: config.publicUrl,
  })
  // Pricing sees per-item demand totals, never an event or whose it was (issue 24).
  const pricing = createPricingService({
    db: storage.db,
    clock,
    audit,
    catalog,
    demand: (from, to) => events.readItemDemand(from, to),
  })
  // The shopping assistant ranks catalog matches through recommend's answer at the shopper's level.
  // Transcripts only with the shopper's grant of personalize.assistant (issue 24).
  const assistant = createAssistantService({
    db: storage.db,
    clock,
    charter,
    audit,
    catalog,
    recommend,
    consent,
    identity,
    session,
    llm: config.assistantLlm,
  })
  const data = {
    recommend: recommendDataParticipant(recommend),
    events: eventsDataParticipant(events),
    consent: consentDataParticipant(consent),
    audit: auditDataParticipant(audit),
    identity: identityDataParticipant(identity),
    catalog: catalogDataParticipant(catalog),
    cleanroom: cleanroomDataParticipant(cleanroom),
    voice: voiceDataParticipant(voice),
    assistant: assistantDataParticipant(assistant),
    experiments: experimentsDataParticipant(experiments),
    vendors: vendorsDataParticipant(vendors),
    offers: offersDataParticipant(offerMail),
    federated: federatedDataParticipant(federated),
  }
  const expiring: RetentionParticipant[] = [
    data.events,
    data.catalog,
    data.recommend,
    data.cleanroom,
    data.voice,
    data.assistant,
    data.vendors,
    data.federated,
  ]
  const retention = createRetentionService({ db: storage.db, clock, audit, participants: expiring })
  // Every module that holds data on a subject, in erasure order: recommend first (it reads nothing from
  // the other modules to subtract the subject from the model), identity last (erasing it makes the
  // customer reference unresolvable).
  const subjectData = (): SubjectDataParticipant[] => [
    data.recommend,
    data.cleanroom,
    data.voice,
    data.assistant,
    data.experiments,
    data.vendors,
    data.events,
    data.consent,
    data.audit,
    outboxDataParticipant(rights),
    data.offers,
    data.identity,
  ]
  // The shared job table: which kinds this process runs in the background is decided in `jobs.ts`.
  const jobs = createJobRunner({ db: storage.db, clock })
  const rights = createRightsService({
    db: storage.db,
    jobs,
    scrub: () => storage.scrub(),
    clock,
    charter,
    audit,
    identity,
    consent,
    notifier: outbox,
    keys,
    participants: subjectData,
  })
  // Failed authentications, counted by the route guard (`app.ts`) and read by the security review.
  const authFailures = new AuthFailureLimit(config.authFailuresPerMinute)
  // The audits read every module (through the services below), so they get the finished set.
  const reviews = createReviewsService({
    db: storage.db,
    clock,
    charter,
    audit,
    runAudits: () =>
      runAudits(
        services,
        clock.now(),
        authFailures.serving
          ? { authFailures: { failures: authFailures.failures, blocked: authFailures.blocked } }
          : {},
      ),
    lastTrainingRun: async () => (await recommend.trainingRuns(1)).at(-1),
  })
  const services = {
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
    jobs,
    insights,
    cleanroom,
    reviews,
    offers,
    offerMail,
    pricing,
    assistant,
    voice,
    federated,
    experiments,
    vendors,
    authFailures,
  }
  return services
}

export type Services = ReturnType<typeof createServices>
