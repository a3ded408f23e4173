import type { Kysely, Migration } from 'kysely'
import { migration0001Foundation } from './0001_foundation.js'
import { migration0002Identity } from './0002_identity.js'
import { migration0003Consent } from './0003_consent.js'
import { migration0004Events } from './0004_events.js'
import { migration0005Rights } from './0005_rights.js'
import { migration0006Recommend } from './0006_recommend.js'
import { migration0007RecommendForgotten } from './0007_recommend_forgotten.js'
import { migration0008EventsExpiryHour } from './0008_events_expiry_hour.js'
import { migration0009RetentionIndexes } from './0009_retention_indexes.js'
import { migration0010RecommendOnlineQuality } from './0010_recommend_online_quality.js'
import { migration0011CatalogUpdatedAt } from './0011_catalog_updated_at.js'
import { migration0012AuditMerkle } from './0012_audit_merkle.js'
import { migration0013RightsCodeLimits } from './0013_rights_code_limits.js'
import { migration0014ConsentRecordedAt } from './0014_consent_recorded_at.js'
import { migration0016RightsLeaseOwner } from './0016_rights_lease_owner.js'
import { migration0017TouchpointCounts } from './0017_touchpoint_counts.js'
import { migration0018RecommendModels } from './0018_recommend_models.js'
import { migration0019Jobs } from './0019_jobs.js'
import { migration0020DistributionKeys } from './0020_distribution_keys.js'
import { migration0021EventsByMonth } from './0021_events_by_month.js'
import { migration0022EventsExpiryBucket } from './0022_events_expiry_bucket.js'
import { migration0023Insights } from './0023_insights.js'
import { migration0024Cleanroom } from './0024_cleanroom.js'
import { migration0025Reviews } from './0025_reviews.js'
import { migration0026ApiKeysLastUsed } from './0026_api_keys_last_used.js'
import { migration0027Offers } from './0027_offers.js'
import { migration0028Experiments } from './0028_experiments.js'
import { migration0029Voice } from './0029_voice.js'
import { migration0035Federated } from './0035_federated.js'
import { migration0040FederatedDays } from './0040_federated_days.js'
import { migration0036Vendors } from './0036_vendors.js'
import { migration0039Assistant } from './0039_assistant.js'
import { migration0037Pricing } from './0037_pricing.js'
import { migration0044OfferTotals } from './0044_offer_totals.js'
import { migration0041VendorOutbox } from './0041_vendor_outbox.js'
import { migration0038Surveys } from './0038_surveys.js'
import { migration0030RecommendAnswerSegments } from './0030_recommend_answer_segments.js'
import { migration0032ExperimentOutcomes } from './0032_experiment_outcomes.js'

/**
 * Every migration, in order. Names sort by their number; a migration never changes once released
 * (add a new one instead).
 */
export const MIGRATIONS: Record<string, Migration> = {
  '0001_foundation': migration0001Foundation,
  '0002_identity': migration0002Identity,
  '0003_consent': migration0003Consent,
  '0004_events': migration0004Events,
  '0005_rights': migration0005Rights,
  '0006_recommend': migration0006Recommend,
  '0007_recommend_forgotten': migration0007RecommendForgotten,
  '0008_events_expiry_hour': migration0008EventsExpiryHour,
  '0009_retention_indexes': migration0009RetentionIndexes,
  '0010_recommend_online_quality': migration0010RecommendOnlineQuality,
  '0011_catalog_updated_at': migration0011CatalogUpdatedAt,
  '0012_audit_merkle': migration0012AuditMerkle,
  '0013_rights_code_limits': migration0013RightsCodeLimits,
  '0014_consent_recorded_at': migration0014ConsentRecordedAt,
  '0016_rights_lease_owner': migration0016RightsLeaseOwner,
  '0017_touchpoint_counts': migration0017TouchpointCounts,
  '0018_recommend_models': migration0018RecommendModels,
  '0019_jobs': migration0019Jobs,
  '0020_distribution_keys': migration0020DistributionKeys,
  '0021_events_by_month': migration0021EventsByMonth,
  '0022_events_expiry_bucket': migration0022EventsExpiryBucket,
  '0023_insights': migration0023Insights,
  '0024_cleanroom': migration0024Cleanroom,
  '0025_reviews': migration0025Reviews,
  '0026_api_keys_last_used': migration0026ApiKeysLastUsed,
  '0027_offers': migration0027Offers,
  '0028_experiments': migration0028Experiments,
  '0029_voice': migration0029Voice,
  '0035_federated': migration0035Federated,
  '0040_federated_days': migration0040FederatedDays,
  '0036_vendors': migration0036Vendors,
  '0037_pricing': migration0037Pricing,
  '0038_surveys': migration0038Surveys,
  '0030_recommend_answer_segments': migration0030RecommendAnswerSegments,
  '0032_experiment_outcomes': migration0032ExperimentOutcomes,
  '0041_vendor_outbox': migration0041VendorOutbox,
  '0039_assistant': migration0039Assistant,
  '0044_offer_totals': migration0044OfferTotals,
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type MigrationDb = Kysely<any>
